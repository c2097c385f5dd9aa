//! No two public types (structs, enums, traits, type aliases) in the crate
//! share a name, so a user can import any two of them without renaming
//! (issue 12: `benchmarks::DoubleAuction` and `implementation::DoubleAuction`
//! were two unrelated types).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn no_two_public_types_share_a_name() {
    let mut files = Vec::new();
    rust_files(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut files,
    );
    let mut seen: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        for line in text.lines() {
            let words: Vec<&str> = line.split_whitespace().collect();
            if words.len() >= 3
                && words[0] == "pub"
                && ["struct", "enum", "trait", "type"].contains(&words[1])
            {
                let name: String = words[2]
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                seen.entry(name)
                    .or_default()
                    .push(file.display().to_string());
            }
        }
    }
    assert!(seen.len() > 20, "the scan found too few types: {seen:?}");
    let shared: Vec<_> = seen.iter().filter(|(_, files)| files.len() > 1).collect();
    assert!(shared.is_empty(), "public types sharing a name: {shared:?}");
}
