use std::process::ExitCode;

use anyhow::Result;
use subgenre_dataset::Cache;

use crate::args::CacheCommand;

pub fn run(cmd: CacheCommand, cache: &Cache) -> Result<ExitCode> {
    match cmd {
        CacheCommand::Info => {
            println!("cache: {}", cache.root().display());
            let usage = cache.usage()?;
            if usage.is_empty() {
                println!("(empty)");
            }
            for u in usage {
                println!(
                    "  {:<12} {:>6} entries {:>10}",
                    u.kind,
                    u.entries,
                    human_bytes(u.bytes)
                );
            }
        }
        CacheCommand::Clean => {
            let freed = cache.clean()?;
            println!(
                "removed {} ({})",
                cache.root().display(),
                human_bytes(freed)
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn human_bytes(b: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut v = b as f64;
    let mut unit = 0;
    while v >= 1024.0 && unit + 1 < UNITS.len() {
        v /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{b} B")
    } else {
        format!("{v:.1} {}", UNITS[unit])
    }
}
