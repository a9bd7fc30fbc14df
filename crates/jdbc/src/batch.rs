//! The changes gathered between two writes, per table, reduced to the last change per primary
//! key: applying only the last one leaves the table as applying all in order would, and a batch
//! never names a row twice (PostgreSQL refuses an upsert that does).

use std::collections::{BTreeMap, HashMap};

use std::sync::Arc;

use ferry_api::SinkRecord;

use crate::record::{Change, TableChange};
use crate::sql::Sql;
use crate::table::TableRef;
use crate::{literal, record};

/// A change and the record it came from.
#[derive(Debug, Clone)]
pub struct Entry {
    pub change: Change,
    pub record: Arc<SinkRecord>,
}

/// One table's part of a batch.
#[derive(Debug, Default)]
pub struct TableBatch {
    /// The table is emptied before the entries are applied.
    pub truncate: bool,
    pub entries: Vec<Entry>,
    /// Where each primary key's entry is in `entries`.
    by_key: HashMap<String, usize>,
}

impl TableBatch {
    /// A part holding one entry alone.
    pub fn single(entry: &Entry) -> TableBatch {
        TableBatch {
            truncate: false,
            entries: vec![entry.clone()],
            by_key: HashMap::new(),
        }
    }
}

#[derive(Debug, Default)]
pub struct Batch {
    tables: BTreeMap<TableRef, TableBatch>,
    /// Records added since the last take, reduced or not: what `batch.size` counts.
    records: usize,
}

impl Batch {
    pub fn records(&self) -> usize {
        self.records
    }

    pub fn is_empty(&self) -> bool {
        self.tables.is_empty()
    }

    /// Adds a change; a later change of the same row replaces the earlier one.
    pub fn add(
        &mut self,
        sql: &Sql,
        change: TableChange,
        record: Arc<SinkRecord>,
    ) -> Result<(), String> {
        self.records += 1;
        let TableChange { table, change } = change;
        let part = self.tables.entry(table).or_default();
        if let Change::Truncate = change {
            // Whatever came before is gone with the table's rows.
            part.entries.clear();
            part.by_key.clear();
            part.truncate = true;
            return Ok(());
        }
        let key = row_key(sql, &change)?;
        let entry = Entry { change, record };
        match key {
            Some(key) => match part.by_key.get(&key) {
                Some(&at) => part.entries[at] = entry,
                None => {
                    part.by_key.insert(key, part.entries.len());
                    part.entries.push(entry);
                }
            },
            None => part.entries.push(entry),
        }
        Ok(())
    }

    /// Everything gathered, leaving the batch empty.
    pub fn take(&mut self) -> BTreeMap<TableRef, TableBatch> {
        self.records = 0;
        std::mem::take(&mut self.tables)
    }
}

/// The primary key of a change as text, or `None` for rows without a key.
fn row_key(sql: &Sql, change: &Change) -> Result<Option<String>, String> {
    let (shape, values): (&record::Shape, Vec<&ferry_api::Value>) = match change {
        Change::Write { shape, values } => (shape, shape.key.iter().map(|&i| &values[i]).collect()),
        Change::Delete { shape, key } => (shape, key.iter().collect()),
        Change::Truncate => return Ok(None),
    };
    if shape.key.is_empty() {
        return Ok(None);
    }
    let mut out = String::new();
    for (&i, value) in shape.key.iter().zip(values) {
        out.push_str(&literal::render(sql.dialect, shape.columns[i].kind, value)?);
        out.push('\u{1}');
    }
    Ok(Some(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Quoting;
    use crate::record::{Column, Shape};
    use crate::url::Dialect;
    use ferry_api::{Schema, Value};
    use std::sync::Arc;

    fn record(offset: i64) -> Arc<SinkRecord> {
        Arc::new(SinkRecord {
            topic: "t".into(),
            kafka_partition: 0,
            kafka_offset: offset,
            key_schema: None,
            key: None,
            value_schema: None,
            value: None,
            timestamp: None,
            headers: Vec::new(),
        })
    }

    fn change(shape: &Arc<Shape>, id: i32, name: Option<&str>) -> TableChange {
        let change = match name {
            Some(n) => Change::Write {
                shape: shape.clone(),
                values: vec![Value::Int32(id), Value::String(n.into())],
            },
            None => Change::Delete {
                shape: shape.clone(),
                key: vec![Value::Int32(id)],
            },
        };
        TableChange {
            table: TableRef {
                schema: None,
                name: "t".into(),
            },
            change,
        }
    }

    #[test]
    fn the_last_change_of_each_key_wins_and_truncate_forgets_the_rest() {
        let sql = Sql {
            dialect: Dialect::Postgres,
            quoting: Quoting::Folded,
        };
        let shape = Arc::new(Shape {
            columns: vec![
                Column::new("id", Arc::new(Schema::int32())),
                Column::new("name", Arc::new(Schema::string())),
            ],
            key: vec![0],
        });
        let mut batch = Batch::default();
        for c in [
            change(&shape, 1, Some("a")),
            change(&shape, 2, Some("b")),
            change(&shape, 1, None),
            change(&shape, 2, Some("c")),
        ]
        .into_iter()
        .enumerate()
        {
            batch.add(&sql, c.1, record(c.0 as i64)).expect("add");
        }
        assert_eq!(batch.records(), 4);
        let tables = batch.take();
        let part = &tables[&TableRef {
            schema: None,
            name: "t".into(),
        }];
        let offsets: Vec<i64> = part.entries.iter().map(|e| e.record.kafka_offset).collect();
        assert_eq!(offsets, [2, 3]);
        assert!(matches!(part.entries[0].change, Change::Delete { .. }));
        assert_eq!(batch.records(), 0);

        batch
            .add(&sql, change(&shape, 1, Some("a")), record(4))
            .expect("add");
        let mut truncate = change(&shape, 0, None);
        truncate.change = Change::Truncate;
        batch.add(&sql, truncate, record(5)).expect("add");
        batch
            .add(&sql, change(&shape, 3, Some("d")), record(6))
            .expect("add");
        let tables = batch.take();
        let part = &tables[&TableRef {
            schema: None,
            name: "t".into(),
        }];
        assert!(part.truncate);
        assert_eq!(part.entries.len(), 1);
    }
}
