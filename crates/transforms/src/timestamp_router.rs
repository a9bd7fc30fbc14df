//! `org.apache.kafka.connect.transforms.TimestampRouter`: renames the topic after a pattern of
//! the topic and the record's timestamp (`${topic}-${timestamp}`, timestamp as `yyyyMMdd`).

use ferry_api::dateformat::DateFormat;
use ferry_api::{
    ConfigDef, ConfigType, ConnectError, ConnectRecord, Importance, Props, Result, Transformation,
};

use crate::util;

const TOPIC_FORMAT: &str = "topic.format";
const TIMESTAMP_FORMAT: &str = "timestamp.format";

pub fn config_def() -> ConfigDef {
    ConfigDef::new()
        .optional(
            TOPIC_FORMAT,
            ConfigType::String,
            Some("${topic}-${timestamp}"),
            Importance::High,
            "Format string which can contain <code>${topic}</code> and <code>${timestamp}</code> \
             as placeholders for the topic and timestamp, respectively.",
        )
        .optional(
            TIMESTAMP_FORMAT,
            ConfigType::String,
            Some("yyyyMMdd"),
            Importance::High,
            "Format string for the timestamp that is compatible with \
             <code>java.text.SimpleDateFormat</code>.",
        )
}

pub struct TimestampRouter {
    topic_format: String,
    format: Option<DateFormat>,
}

impl TimestampRouter {
    pub fn new() -> Self {
        TimestampRouter {
            topic_format: String::new(),
            format: None,
        }
    }
}

impl Default for TimestampRouter {
    fn default() -> Self {
        TimestampRouter::new()
    }
}

impl Transformation for TimestampRouter {
    fn configure(&mut self, props: &Props) -> Result<()> {
        let c = util::parse_config(&config_def(), props)?;
        self.topic_format = c.string(TOPIC_FORMAT).unwrap_or_default().to_string();
        let pattern = c.string(TIMESTAMP_FORMAT).unwrap_or_default();
        self.format = Some(
            DateFormat::new(pattern)
                .map_err(|why| util::invalid(TIMESTAMP_FORMAT, pattern, &why))?,
        );
        Ok(())
    }

    fn apply(&mut self, mut record: ConnectRecord) -> Result<Option<ConnectRecord>> {
        let ts = record.timestamp().ok_or_else(|| {
            ConnectError::Data(format!(
                "Timestamp missing on record: topic {}",
                record.topic()
            ))
        })?;
        let formatted = self
            .format
            .as_ref()
            .map(|f| f.format(ts))
            .unwrap_or_default();
        let topic = self
            .topic_format
            .replace("${topic}", record.topic())
            .replace("${timestamp}", &formatted);
        record.set_topic(topic);
        Ok(Some(record))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::*;
    use ferry_api::data::Value;

    #[test]
    fn default_configuration() {
        let mut t = TimestampRouter::new();
        t.configure(&props(&[])).unwrap();
        let mut r = source(None, Value::Null);
        r.set_topic("test");
        r.parts_mut().timestamp.replace(1_483_425_001_864);
        assert_eq!(apply(&mut t, r).topic(), "test-20170103");
        assert!(t.apply(source(None, Value::Null)).is_err());
    }

    #[test]
    fn custom_formats() {
        let mut t = TimestampRouter::new();
        t.configure(&props(&[
            ("topic.format", "${timestamp}_${topic}"),
            ("timestamp.format", "yyyy-MM"),
        ]))
        .unwrap();
        let mut r = source(None, Value::Null);
        r.parts_mut().timestamp.replace(1_483_425_001_864);
        assert_eq!(apply(&mut t, r).topic(), "2017-01_test");
    }
}
