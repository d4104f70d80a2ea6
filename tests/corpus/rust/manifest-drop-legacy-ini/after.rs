//! Package manifest (`tide.toml`) model.

use std::collections::BTreeMap;

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
    fn new_manifest_has_no_dependencies() {
        let m = Manifest::new("tide", "1.0.0");
        assert!(m.dependencies.is_empty());
    }
}
