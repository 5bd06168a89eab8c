//! The Python interface's three descriptions agree: every function and class the native
//! module registers (src/lib.rs) is typed in the stub (`_native.pyi`) with the same parameters
//! in the same order as its `#[pyo3(signature = ...)]`, and is exported by the package.
//!
//! Reads the sources only (no Python needed). Building this test also builds the module
//! itself (the crate's cdylib), which the pytest suite then loads: one build for both.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Parameter names of a signature list such as `y, *, sr=22050, S=None` (markers `*` and `/`
/// dropped, defaults stripped, `r#` removed).
fn names(list: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut current = String::new();
    for c in list.chars().chain(std::iter::once(',')) {
        match c {
            '(' | '[' => depth += 1,
            ')' | ']' => depth -= 1,
            _ => {}
        }
        if c == ',' && depth == 0 {
            let name = current
                .split(['=', ':'])
                .next()
                .unwrap_or("")
                .trim()
                .trim_start_matches("r#")
                .to_string();
            if !name.is_empty() && name != "*" && name != "/" && name != "self" {
                out.push(name);
            }
            current.clear();
        } else {
            current.push(c);
        }
    }
    out
}

/// The text between the `(` at `open` and its matching `)`.
fn balanced(text: &str, open: usize) -> &str {
    let mut depth = 0;
    for (i, c) in text[open..].char_indices() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return &text[open + 1..open + i];
                }
            }
            _ => {}
        }
    }
    panic!("unbalanced parentheses at {open}");
}

/// Python name -> parameters, from the `#[pyo3(... signature = (...))]` attributes of `src/`.
fn rust_signatures() -> BTreeMap<String, Vec<String>> {
    let mut out = BTreeMap::new();
    let mut files: Vec<_> = std::fs::read_dir(crate_dir().join("src"))
        .expect("src")
        .flatten()
        .map(|e| e.path())
        .collect();
    files.sort();
    for file in files {
        let text = read(&file);
        let mut at = 0;
        while let Some(i) = text[at..].find("signature = (") {
            let start = at + i + "signature = ".len();
            let params = names(balanced(&text, start));
            let attr_start = text[..start].rfind("#[pyo3(").expect("attribute");
            let attr = &text[attr_start..start];
            let rest = &text[start..];
            let fn_at = rest.find("fn ").expect("fn after signature");
            let rust_name: String = rest[fn_at + 3..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            let name = attr
                .split("name = \"")
                .nth(1)
                .and_then(|s| s.split('"').next())
                .map(str::to_string)
                .unwrap_or(if rust_name == "new" {
                    "__init__".into()
                } else {
                    rust_name
                });
            if name.is_empty() {
                // `fn $name` inside `macro_rules! m`: one function per `m!(name, ...)`.
                let macro_at = text[..start].rfind("macro_rules! ").expect("macro") + 13;
                let mac: String = text[macro_at..]
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                for call in text.split(&format!("{mac}!(")).skip(1) {
                    let name: String = call
                        .trim_start()
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .collect();
                    out.insert(name, params.clone());
                }
            } else {
                out.insert(name, params);
            }
            at = start;
        }
    }
    out
}

/// Python name -> parameters, from the `def`s of the stub.
fn stub_signatures() -> BTreeMap<String, Vec<String>> {
    let text = read(&crate_dir().join("python/subgenre/_native.pyi"));
    let mut out = BTreeMap::new();
    let mut at = 0;
    while let Some(i) = text[at..].find("def ") {
        let start = at + i + 4;
        let name: String = text[start..]
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        let open = start + name.len();
        out.insert(name, names(balanced(&text, open)));
        at = open;
    }
    out
}

#[test]
fn the_stub_types_every_function_with_its_parameters() {
    let rust = rust_signatures();
    let stub = stub_signatures();
    assert!(rust.len() >= 17, "found only {rust:?}");
    for (name, params) in &rust {
        let typed = stub
            .get(name)
            .unwrap_or_else(|| panic!("{name} is not in _native.pyi"));
        assert_eq!(typed, params, "parameters of {name}");
    }
}

#[test]
fn the_package_exports_what_the_module_registers() {
    let lib = read(&crate_dir().join("src/lib.rs"));
    let registered: Vec<String> = lib
        .split("wrap_pyfunction!(")
        .skip(1)
        .filter_map(|s| s.split([',', ')']).next())
        .map(|path| path.rsplit("::").next().unwrap_or(path).to_string())
        .collect();
    assert!(registered.len() >= 15, "{registered:?}");
    let package = read(&crate_dir().join("python/subgenre/__init__.py"))
        + &read(&crate_dir().join("python/subgenre/feature.py"))
        + &read(&crate_dir().join("python/subgenre/training.py"));
    let stub = read(&crate_dir().join("python/subgenre/_native.pyi"));
    for rust_name in registered {
        let name = rust_name.trim_end_matches("_py");
        // Exported as it is, or called by a Python wrapper (training.py's `grid`).
        assert!(
            package.contains(&format!("    {name},"))
                || package.contains(&format!("_native.{name}(")),
            "{name} is registered but not exported by the package"
        );
        assert!(
            stub.contains(&format!("def {name}(")),
            "{name} not in the stub"
        );
    }
}
