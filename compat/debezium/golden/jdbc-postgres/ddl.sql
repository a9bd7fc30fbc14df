
CREATE TABLE public.all_types (
    id integer NOT NULL,
    c_tinyint smallint,
    c_tinyint_u smallint,
    c_smallint smallint,
    c_smallint_u integer,
    c_mediumint integer,
    c_mediumint_u integer,
    c_int integer,
    c_int_u bigint,
    c_bigint bigint,
    c_bigint_u bigint,
    c_decimal numeric(10,2),
    c_float real,
    c_double double precision,
    c_bit1 boolean,
    c_bit10 bit(10),
    c_bool smallint,
    c_date date,
    c_time time(6) without time zone,
    c_time3 time(6) without time zone,
    c_datetime timestamp(6) without time zone,
    c_datetime6 timestamp(6) without time zone,
    c_timestamp timestamp(6) with time zone,
    c_timestamp3 timestamp(6) with time zone,
    c_year integer,
    c_char text,
    c_varchar text,
    c_text text,
    c_binary bytea,
    c_varbinary bytea,
    c_blob bytea,
    c_json text,
    c_enum text,
    c_set text,
    c_int_def integer DEFAULT 42 NOT NULL,
    c_str_def text DEFAULT 'n/a'::text NOT NULL,
    c_ts_def timestamp(6) with time zone DEFAULT '1970-01-01 00:00:00+00'::timestamp with time zone NOT NULL
);

ALTER TABLE ONLY public.all_types
    ADD CONSTRAINT all_types_pkey PRIMARY KEY (id);


CREATE TABLE public.customers (
    id integer NOT NULL,
    name text,
    email text,
    phone text
);

ALTER TABLE ONLY public.customers
    ADD CONSTRAINT customers_pkey PRIMARY KEY (id);

