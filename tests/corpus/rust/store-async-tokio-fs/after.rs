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

    pub async fn load(&self, name: &str) -> io::Result<Snapshot> {
        let path = self.snapshot_path(name);
        let text = tokio::fs::read_to_string(&path).await?;
        serde_json::from_str(&text).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
    }

    pub async fn save(&self, name: &str, snapshot: &Snapshot) -> io::Result<()> {
        let text = serde_json::to_string_pretty(snapshot)?;
        tokio::fs::write(self.snapshot_path(name), text).await?;
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
}
