//! Per-file statistics shown at the end of `tide review`.

use std::collections::{BTreeSet, HashMap, HashSet};

#[derive(Debug, Clone)]
pub struct FileStat {
    pub path: String,
    pub language: String,
    pub added: u32,
    pub removed: u32,
}

/// Sum of changed lines over all files.
pub fn total_changed(files: &[FileStat]) -> u64 {
    files.iter().map(|f| u64::from(f.added) + u64::from(f.removed)).sum()
}

/// Directories touched by the change, one entry per directory, sorted.
#[must_use]
pub fn touched_dirs(files: &[FileStat]) -> BTreeSet<&str> {
    files
        .iter()
        .map(|f| f.path.rsplit_once('/').map_or(".", |(dir, _)| dir))
        .collect()
}

/// Languages present in the change.
pub fn languages(files: &[FileStat]) -> HashSet<&str> {
    files.iter().map(|f| f.language.as_str()).collect()
}

/// Changed lines per language.
pub fn by_language(files: &[FileStat]) -> HashMap<&str, u64> {
    let mut out = HashMap::new();
    for f in files {
        *out.entry(f.language.as_str()).or_insert(0) += u64::from(f.added + f.removed);
    }
    out
}

pub fn summary_line(files: &[FileStat]) -> String {
    let dirs: BTreeSet<&str> = touched_dirs(files).into_iter().collect();
    format!("{} files in {} directories", files.len(), dirs.len())
}
