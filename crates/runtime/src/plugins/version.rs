//! Plugin versions as `connector.plugin.version` names them (KIP-891): a version, or a Maven
//! range such as `[4.4.0]`, `[1.0,2.0)` or `[3.6,)`.

use std::cmp::Ordering;

/// Whether `version` is the one `wanted` names or lies in its range.
pub fn matches(wanted: &str, version: &str) -> bool {
    let wanted = wanted.trim();
    let is_range = wanted.starts_with(['[', '(']) && wanted.ends_with([']', ')']);
    if !is_range {
        return compare(wanted, version) == Ordering::Equal;
    }
    let inner = &wanted[1..wanted.len() - 1];
    let (low_closed, high_closed) = (wanted.starts_with('['), wanted.ends_with(']'));
    let Some((low, high)) = inner.split_once(',') else {
        // `[x]` is exactly x
        return compare(inner, version) == Ordering::Equal;
    };
    let (low, high) = (low.trim(), high.trim());
    let above = low.is_empty()
        || match compare(version, low) {
            Ordering::Greater => true,
            Ordering::Equal => low_closed,
            Ordering::Less => false,
        };
    let below = high.is_empty()
        || match compare(version, high) {
            Ordering::Less => true,
            Ordering::Equal => high_closed,
            Ordering::Greater => false,
        };
    above && below
}

/// Orders versions by their numeric parts (`3.6.1.Final` < `3.10.0`); parts that are not
/// numbers compare as text, and missing parts count as zero.
pub fn compare(a: &str, b: &str) -> Ordering {
    let parts =
        |v: &str| -> Vec<String> { v.trim().split(['.', '-']).map(str::to_string).collect() };
    let (a, b) = (parts(a), parts(b));
    for i in 0..a.len().max(b.len()) {
        let x = a.get(i).map(String::as_str).unwrap_or("0");
        let y = b.get(i).map(String::as_str).unwrap_or("0");
        let order = match (x.parse::<u64>(), y.parse::<u64>()) {
            (Ok(x), Ok(y)) => x.cmp(&y),
            _ => x.cmp(y),
        };
        if order != Ordering::Equal {
            return order;
        }
    }
    Ordering::Equal
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_versions_and_ranges() {
        assert!(matches("4.4.0", "4.4.0"));
        assert!(!matches("4.4.0", "0.1.0"));
        assert!(matches("[4.4.0]", "4.4.0"));
        assert!(matches("[4.0,5.0)", "4.4.0"));
        assert!(!matches("[4.0,4.4.0)", "4.4.0"));
        assert!(matches("[3.6,)", "3.6.1.Final"));
        assert!(!matches("(,1.0]", "3.6.1.Final"));
    }

    #[test]
    fn numeric_parts_order_numerically() {
        assert_eq!(compare("3.10.0", "3.6.1.Final"), Ordering::Greater);
        assert_eq!(compare("4.4", "4.4.0"), Ordering::Equal);
    }
}
