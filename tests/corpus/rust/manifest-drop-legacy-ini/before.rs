//! Package manifest (`tide.toml`) model.

use std::collections::BTreeMap;
use std::fmt::Write;

#[derive(Debug, Clone, PartialEq)]
pub struct Manifest {
    pub name: String,
    pub version: String,
    pub dependencies: BTreeMap<String, String>,
}

impl Manifest {
    pub fn new(name: &str, version: &str) -> Self {
        Manifest {
            name: name.to_string(),
            version: version.to_string(),
            dependencies: BTreeMap::new(),
        }
    }

    pub fn add_dependency(&mut self, name: &str, req: &str) {
        self.dependencies.insert(name.to_string(), req.to_string());
    }

    /// Serializes to the INI layout read by tide < 0.9.
    pub fn to_ini(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "name = {}", self.name);
        let _ = writeln!(out, "version = {}", self.version);
        out
    }
}

/// Reader for manifests written by tide < 0.9.
pub struct LegacyManifest;

impl LegacyManifest {
    pub fn from_ini(text: &str) -> Option<Manifest> {
        let mut name = None;
        let mut version = None;
        for line in text.lines() {
            if let Some((key, value)) = line.split_once('=') {
                match key.trim() {
                    "name" => name = Some(value.trim().to_string()),
                    "version" => version = Some(value.trim().to_string()),
                    _ => {}
                }
            }
        }
        Some(Manifest::new(&name?, &version?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dependencies_are_sorted() {
        let mut m = Manifest::new("tide", "1.0.0");
        m.add_dependency("serde", "1");
        m.add_dependency("anyhow", "1");
        let names: Vec<&String> = m.dependencies.keys().collect();
        assert_eq!(names, ["anyhow", "serde"]);
    }

    #[test]
    fn legacy_ini_roundtrip() {
        let m = Manifest::new("tide", "0.8.3");
        let parsed = LegacyManifest::from_ini(&m.to_ini()).unwrap();
        assert_eq!(parsed, m);
    }

    #[test]
    fn new_manifest_has_no_dependencies() {
        let m = Manifest::new("tide", "1.0.0");
        assert!(m.dependencies.is_empty());
        assert_eq!(LegacyManifest::from_ini(&m.to_ini()).map(|p| p.version), Some("1.0.0".to_string()));
    }
}
