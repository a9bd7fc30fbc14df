-- Run before the connector starts: these rows are the snapshot (op "r").
-- The database compat is made anew each run.
DROP DATABASE IF EXISTS compat;
CREATE DATABASE compat CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci;
USE compat;

-- Every MariaDB column type Debezium maps, nullable unless noted.
CREATE TABLE all_types (
  id            INT AUTO_INCREMENT PRIMARY KEY,
  c_tinyint     TINYINT,
  c_tinyint_u   TINYINT UNSIGNED,
  c_smallint    SMALLINT,
  c_smallint_u  SMALLINT UNSIGNED,
  c_mediumint   MEDIUMINT,
  c_mediumint_u MEDIUMINT UNSIGNED,
  c_int         INT,
  c_int_u       INT UNSIGNED,
  c_bigint      BIGINT,
  c_bigint_u    BIGINT UNSIGNED,
  c_decimal     DECIMAL(10,2),
  c_float       FLOAT,
  c_double      DOUBLE,
  c_bit1        BIT(1),
  c_bit10       BIT(10),
  c_bool        BOOLEAN,
  c_date        DATE,
  c_time        TIME,
  c_time3       TIME(3),
  c_datetime    DATETIME,
  c_datetime6   DATETIME(6),
  c_timestamp   TIMESTAMP NULL DEFAULT NULL,
  c_timestamp3  TIMESTAMP(3) NULL DEFAULT NULL,
  c_year        YEAR,
  c_char        CHAR(10),
  c_varchar     VARCHAR(100) CHARACTER SET utf8mb4,
  c_text        TEXT,
  c_binary      BINARY(4),
  c_varbinary   VARBINARY(16),
  c_blob        BLOB,
  c_json        JSON,
  c_enum        ENUM('small','medium','large'),
  c_set         SET('red','green','blue'),
  -- NOT NULL columns with defaults: how defaults appear in the schema.
  c_int_def     INT NOT NULL DEFAULT 42,
  c_str_def     VARCHAR(20) NOT NULL DEFAULT 'n/a',
  c_ts_def      TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
) ENGINE=InnoDB;

CREATE TABLE customers (
  id    INT PRIMARY KEY,
  name  VARCHAR(50),
  email VARCHAR(100)
) ENGINE=InnoDB;

-- Sessions in UTC so that TIMESTAMP values are the same whatever the server's zone.
SET NAMES utf8mb4;
SET time_zone = '+00:00';

-- 1: ordinary values.
INSERT INTO all_types (c_tinyint, c_tinyint_u, c_smallint, c_smallint_u, c_mediumint, c_mediumint_u,
  c_int, c_int_u, c_bigint, c_bigint_u, c_decimal, c_float, c_double, c_bit1, c_bit10, c_bool,
  c_date, c_time, c_time3, c_datetime, c_datetime6, c_timestamp, c_timestamp3, c_year,
  c_char, c_varchar, c_text, c_binary, c_varbinary, c_blob, c_json, c_enum, c_set,
  c_int_def, c_str_def, c_ts_def)
VALUES (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12345.67, 3.14, 2.718281828459045, b'1', b'1010101010', TRUE,
  '2024-02-29', '12:34:56', '12:34:56.789', '2024-02-29 12:34:56', '2024-02-29 12:34:56.123456',
  '2024-02-29 12:34:56', '2024-02-29 12:34:56.789', 2024,
  'char', 'héllo wörld ✓ 😀', 'some text', x'DEADBEEF', x'0102030405', x'00FF00FF',
  '{"a": 1, "b": [true, null, "x"]}', 'medium', 'red,blue',
  7, 'seven', '2024-02-29 12:34:56');

-- 2: the extremes of each range.
INSERT INTO all_types (c_tinyint, c_tinyint_u, c_smallint, c_smallint_u, c_mediumint, c_mediumint_u,
  c_int, c_int_u, c_bigint, c_bigint_u, c_decimal, c_float, c_double, c_bit1, c_bit10, c_bool,
  c_date, c_time, c_time3, c_datetime, c_datetime6, c_timestamp, c_timestamp3, c_year,
  c_char, c_varchar, c_text, c_binary, c_varbinary, c_blob, c_json, c_enum, c_set,
  c_int_def, c_str_def, c_ts_def)
VALUES (-128, 255, -32768, 65535, -8388608, 16777215,
  -2147483648, 4294967295, -9223372036854775808, 18446744073709551615,
  -99999999.99, -1.5e38, 1.7976931348623157e308, b'0', b'1111111111', FALSE,
  '1000-01-01', '-838:59:59', '838:59:58.999', '9999-12-31 23:59:59', '1000-01-01 00:00:00.000001',
  '1970-01-01 00:00:01', '2038-01-19 03:14:07.999', 1901,
  '', '', '', x'00000000', x'', x'',
  '[]', 'small', '',
  -1, '', '1970-01-01 00:00:01');

-- 3: NULL wherever allowed (the NOT NULL columns take their defaults but the timestamp).
INSERT INTO all_types (c_ts_def) VALUES ('2000-01-01 00:00:00');

-- 4: zero dates (MariaDB's sql_mode here has no NO_ZERO_DATE) and a few other edges. Not YEAR 0:
-- the MariaDB connector's snapshot fails on it (mariadb-java-client 3.5.3 reads it through
-- java.sql.Date.valueOf("0000-01-01"): IllegalArgumentException, the task stops); stream.sql
-- sets it in the binlog instead.
INSERT INTO all_types (c_date, c_datetime, c_datetime6, c_timestamp, c_year, c_time, c_decimal,
  c_float, c_double, c_char, c_set, c_enum, c_bit10, c_ts_def)
VALUES ('0000-00-00', '0000-00-00 00:00:00', '0000-00-00 00:00:00.000000', '0000-00-00 00:00:00', 2155,
  '00:00:00', 0.00, 0, -0.0, 'x         ', 'red,green,blue', 'large', b'1', '1999-12-31 23:59:59');

INSERT INTO customers VALUES
  (1, 'Alice', 'alice@example.com'),
  (2, 'Bob', 'bob@example.com'),
  (3, 'Carol', NULL);
