//! `org.apache.kafka.connect.transforms.Filter`: drops every record it applies to; used with a
//! predicate (`transforms.f.predicate=p`) to drop some of them.

use ferry_api::{ConfigDef, ConnectRecord, Props, Result, Transformation};

pub fn config_def() -> ConfigDef {
    ConfigDef::new()
}

#[derive(Default)]
pub struct Filter;

impl Filter {
    pub fn new() -> Self {
        Filter
    }
}

impl Transformation for Filter {
    fn configure(&mut self, _props: &Props) -> Result<()> {
        Ok(())
    }

    fn apply(&mut self, _record: ConnectRecord) -> Result<Option<ConnectRecord>> {
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::*;
    use ferry_api::data::Value;

    #[test]
    fn drops_everything() {
        let mut f = Filter::new();
        f.configure(&props(&[])).unwrap();
        assert!(f.apply(source(None, Value::Int32(1))).unwrap().is_none());
    }
}
