//! Java `.properties` files, read with Java's rules (`=`, `:` or whitespace separators, `#` and `!`
//! comments, `\` continuation lines, `\uXXXX` escapes) by the `java-properties` crate.

use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use ferry_api::Props;

#[derive(Debug, thiserror::Error)]
pub enum PropertiesError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is not a valid properties file: {message}")]
    Parse { path: String, message: String },
}

/// Reads a properties file into sorted key/value pairs.
pub fn load(path: &Path) -> Result<Props, PropertiesError> {
    let display = path.display().to_string();
    let file = File::open(path).map_err(|source| PropertiesError::Read {
        path: display.clone(),
        source,
    })?;
    let map = java_properties::read(BufReader::new(file)).map_err(|e| PropertiesError::Parse {
        path: display,
        message: e.to_string(),
    })?;
    Ok(map.into_iter().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_rules_apply() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.properties");
        std::fs::write(
            &path,
            "# comment\n! also a comment\nbootstrap.servers=localhost:9092\nkey.converter:org.Foo\n\
             value.converter org.Bar\nplugin.path=/a,\\\n    /b\nname=caf\\u00e9\n  spaced.key  =  v  \n",
        )
        .unwrap();
        let props = load(&path).unwrap();
        assert_eq!(props["bootstrap.servers"], "localhost:9092");
        assert_eq!(props["key.converter"], "org.Foo");
        assert_eq!(props["value.converter"], "org.Bar");
        assert_eq!(props["plugin.path"], "/a,/b");
        assert_eq!(props["name"], "café");
        assert_eq!(props["spaced.key"], "v  ");
        assert_eq!(props.len(), 6);
    }

    #[test]
    fn a_missing_file_names_the_path() {
        let err = load(Path::new("/nonexistent/worker.properties")).unwrap_err();
        assert!(
            err.to_string().contains("/nonexistent/worker.properties"),
            "{err}"
        );
    }
}
