//! Embeds the demo set (data/demo at the repo root) so every command has a default data set
//! that works after `cargo install`, without the full data beside it.
use std::fmt::Write as _;
use std::path::PathBuf;

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default());
    let demo = manifest.join("../../data/demo");
    println!("cargo:rerun-if-changed={}", demo.display());
    println!("cargo:rerun-if-changed={}", demo.join("clips").display());
    let mut files: Vec<(String, PathBuf)> = Vec::new();
    let labels = demo.join("labels_final.csv");
    if labels.is_file() {
        files.push(("labels_final.csv".into(), labels));
    }
    if let Ok(entries) = std::fs::read_dir(demo.join("clips")) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_file() {
                let name = format!("clips/{}", e.file_name().to_string_lossy());
                files.push((name, p));
            }
        }
    }
    files.sort();
    let mut code = String::from("pub(crate) static DEMO_FILES: &[(&str, &[u8])] = &[\n");
    for (name, path) in &files {
        let abs = path.canonicalize().unwrap_or_else(|_| path.clone());
        let _ = writeln!(
            code,
            "    ({name:?}, include_bytes!({:?})),",
            abs.display().to_string()
        );
    }
    code.push_str("];\n");
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap_or_default()).join("demo_files.rs");
    if let Err(e) = std::fs::write(&out, code) {
        panic!("cannot write {}: {e}", out.display());
    }
}
