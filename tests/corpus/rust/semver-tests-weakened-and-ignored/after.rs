//! Minimal semantic-version parsing for dependency constraints.

use std::cmp::Ordering;
use std::str::FromStr;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    pub major: u64,
    pub minor: u64,
    pub patch: u64,
    pub pre: Option<String>,
}

#[derive(Debug, PartialEq)]
pub struct ParseVersionError(String);

impl FromStr for Version {
    type Err = ParseVersionError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (core, pre) = match s.split_once('-') {
            Some((core, pre)) => (core, Some(pre.to_string())),
            None => (s, None),
        };
        let mut parts = core.split('.').map(|p| p.parse::<u64>());
        let mut next = || {
            parts
                .next()
                .and_then(Result::ok)
                .ok_or_else(|| ParseVersionError(s.to_string()))
        };
        let (major, minor, patch) = (next()?, next()?, next()?);
        Ok(Version { major, minor, patch, pre })
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.major, self.minor, self.patch)
            .cmp(&(other.major, other.minor, other.patch))
            .then_with(|| match (&self.pre, &other.pre) {
                (None, None) => Ordering::Equal,
                (None, Some(_)) => Ordering::Greater,
                (Some(_), None) => Ordering::Less,
                (Some(a), Some(b)) => a.cmp(b),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_release() {
        let v: Version = "1.4.2".parse().unwrap();
        assert_eq!(v.major, 1);
        assert!(v.minor > 0);
        assert_eq!(v.patch, 2);
        assert_eq!(v.pre, None);
    }

    #[test]
    fn parses_prerelease() {
        let v: Version = "2.0.0-rc.1".parse().unwrap();
        assert_eq!(v.major, 2);
        assert_eq!(v.pre.as_deref(), Some("rc.1"));
    }

    #[test]
    #[ignore]
    fn orders_prerelease_before_release() {
        let rc: Version = "2.0.0-rc.1".parse().unwrap();
        let release: Version = "2.0.0".parse().unwrap();
        assert!(rc < release);
    }

    #[test]
    fn rejects_missing_patch() {
        assert!("1.4".parse::<Version>().is_err());
    }
}
