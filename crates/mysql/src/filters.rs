//! Which databases, tables and columns are captured: `database.include.list` /
//! `database.exclude.list`, `table.include.list` / `table.exclude.list` (against `DB.TABLE`) and
//! `column.include.list` / `column.exclude.list` (against `DB.TABLE.COLUMN`), as Debezium reads
//! them: comma-separated regular expressions (`\,` for a comma inside one) that must match the
//! whole name, without regard to case. The server's own databases are never captured.

use ferry_api::{ConnectError, Props, Result};
use regex::{Regex, RegexBuilder};

const SYSTEM_DATABASES: &[&str] = &["mysql", "sys", "performance_schema", "information_schema"];

/// Whether `db` is one of the server's own databases, never captured nor recorded.
pub fn is_system_database(db: &str) -> bool {
    SYSTEM_DATABASES.iter().any(|s| s.eq_ignore_ascii_case(db))
}

/// An include list or an exclude list (or neither: everything).
#[derive(Debug, Clone, Default)]
enum Rule {
    #[default]
    All,
    Include(Vec<Regex>),
    Exclude(Vec<Regex>),
}

impl Rule {
    fn from_config(props: &Props, include: &str, exclude: &str) -> Result<Rule> {
        let set = |key: &str| props.get(key).map(|v| v.trim()).filter(|v| !v.is_empty());
        match (set(include), set(exclude)) {
            (Some(_), Some(_)) => Err(ConnectError::Config(format!(
                "\"{include}\" is already specified; \"{exclude}\" cannot be used with it"
            ))),
            (Some(list), None) => Ok(Rule::Include(patterns(include, list)?)),
            (None, Some(list)) => Ok(Rule::Exclude(patterns(exclude, list)?)),
            (None, None) => Ok(Rule::All),
        }
    }

    fn allows(&self, name: &str) -> bool {
        match self {
            Rule::All => true,
            Rule::Include(p) => p.iter().any(|r| r.is_match(name)),
            Rule::Exclude(p) => !p.iter().any(|r| r.is_match(name)),
        }
    }
}

/// The regular expressions of one list, each anchored to match a whole name.
/// The regular expressions of a comma-separated list, each matching a whole name, in any case.
pub fn patterns(key: &str, list: &str) -> Result<Vec<Regex>> {
    split_regexes(list)
        .into_iter()
        .map(|p| {
            RegexBuilder::new(&format!("^(?:{p})$"))
                .case_insensitive(true)
                .build()
                .map_err(|e| {
                    ConnectError::Config(format!(
                        "Invalid value {list} for configuration {key}: '{p}' is not a valid regular expression: {e}"
                    ))
                })
        })
        .collect()
}

/// Splits on commas, except those written `\,`.
fn split_regexes(list: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut chars = list.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&',') => {
                current.push(',');
                chars.next();
            }
            ',' => out.push(std::mem::take(&mut current)),
            c => current.push(c),
        }
    }
    out.push(current);
    out.into_iter()
        .map(|p| p.trim().to_string())
        .filter(|p| !p.is_empty())
        .collect()
}

/// The capture filters of a connector.
#[derive(Debug, Clone, Default)]
pub struct Filters {
    databases: Rule,
    tables: Rule,
    columns: Rule,
}

impl Filters {
    pub fn from_config(props: &Props) -> Result<Filters> {
        Ok(Filters {
            databases: Rule::from_config(props, "database.include.list", "database.exclude.list")?,
            tables: Rule::from_config(props, "table.include.list", "table.exclude.list")?,
            columns: Rule::from_config(props, "column.include.list", "column.exclude.list")?,
        })
    }

    pub fn database(&self, db: &str) -> bool {
        !is_system_database(db) && self.databases.allows(db)
    }

    pub fn table(&self, db: &str, table: &str) -> bool {
        self.database(db) && self.tables.allows(&format!("{db}.{table}"))
    }

    pub fn column(&self, db: &str, table: &str, column: &str) -> bool {
        self.columns.allows(&format!("{db}.{table}.{column}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ferry_api::config::props_of;

    #[test]
    fn the_seeds_lists_capture_one_table_and_its_listed_columns() {
        let f = Filters::from_config(&props_of(&[
            ("database.include.list", "test"),
            ("table.include.list", "test.t_patient"),
            (
                "column.include.list",
                "test.t_patient.CREATE_TIME,test.t_patient.ID",
            ),
        ]))
        .unwrap();
        assert!(f.table("test", "t_patient"));
        assert!(
            f.table("TEST", "T_PATIENT"),
            "names match without regard to case"
        );
        assert!(
            !f.table("test", "t_patient2"),
            "a pattern matches whole names"
        );
        assert!(!f.table("other", "t_patient"));
        assert!(f.column("test", "t_patient", "ID"));
        assert!(!f.column("test", "t_patient", "PATIENT_NAME"));
    }

    #[test]
    fn exclude_lists_and_system_databases() {
        let f =
            Filters::from_config(&props_of(&[("table.exclude.list", "db\\.audit_.*")])).unwrap();
        assert!(f.table("db", "orders"));
        assert!(!f.table("db", "audit_2024"));
        assert!(!f.table("mysql", "user"));
        assert!(f.column("db", "orders", "anything"));
    }

    #[test]
    fn include_and_exclude_together_are_refused_and_escaped_commas_kept() {
        let both = Filters::from_config(&props_of(&[
            ("table.include.list", "a.b"),
            ("table.exclude.list", "a.c"),
        ]));
        assert!(both.is_err());
        assert_eq!(split_regexes("a{1\\,3}, b"), vec!["a{1,3}", "b"]);
    }
}
