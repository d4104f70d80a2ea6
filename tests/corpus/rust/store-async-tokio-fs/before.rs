//! On-disk snapshot store used by the sync daemon.

use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Snapshot {
    pub revision: u64,
    pub entries: Vec<String>,
}

pub struct Store {
    root: PathBuf,
}

impl Store {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Store { root: root.into() }
    }

    fn snapshot_path(&self, name: &str) -> PathBuf {
        self.root.join(format!("{name}.json"))
    }

    pub fn load(&self, name: &str) -> io::Result<Snapshot> {
        let path = self.snapshot_path(name);
        let text = std::fs::read_to_string(&path)?;
        serde_json::from_str(&text).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
    }

    pub fn save(&self, name: &str, snapshot: &Snapshot) -> io::Result<()> {
        let text = serde_json::to_string_pretty(snapshot)?;
        std::fs::write(self.snapshot_path(name), text)?;
        Ok(())
    }

    pub fn root(&self) -> &Path {
        &self.root
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshot_path_uses_json_extension() {
        let store = Store::new("/var/lib/tide");
        assert_eq!(store.snapshot_path("main"), PathBuf::from("/var/lib/tide/main.json"));
    }

    #[test]
    fn load_roundtrips_saved_snapshot() {
        let dir = std::env::temp_dir().join("tide-store-test");
        std::fs::create_dir_all(&dir).unwrap();
        let store = Store::new(&dir);
        let snap = Snapshot { revision: 7, entries: vec!["a".into()] };
        store.save("t", &snap).unwrap();
        let loaded = store.load("t").unwrap();
        assert_eq!(loaded.revision, 7);
        assert_eq!(loaded.entries, vec!["a".to_string()]);
    }
}
