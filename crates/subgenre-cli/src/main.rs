//! `subgenre`: the command line over the subgenre libraries; each command parses its
//! arguments, calls one library operation and prints what it did.

mod args;
mod commands;
mod progress;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    // Before any allocation of note: large tensors stay mapped instead of page-faulting anew.
    subgenre_cnn::keep_freed_memory();
    let cli = args::Cli::parse();
    init_logging(cli.verbose);
    match commands::run(cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {}", error_text(&err));
            ExitCode::from(2)
        }
    }
}

/// The error and its causes on one line ("decoding x.mp3: ...: ..."), each cause once: the
/// libraries' errors already name their source in their own text, which `{:#}` would repeat.
fn error_text(err: &anyhow::Error) -> String {
    let mut text = err.to_string();
    for cause in err.chain().skip(1) {
        let cause = cause.to_string();
        if !text.contains(&cause) {
            text.push_str(": ");
            text.push_str(&cause);
        }
    }
    text
}

fn init_logging(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "debug",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        // symphonia logs every failed probe as an error; subgenre reports those itself.
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(format!("{default},symphonia=off")));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

#[cfg(test)]
mod tests {
    use super::error_text;

    /// An error that names its source in its own text, as the libraries' errors do.
    #[derive(Debug)]
    struct Reading(std::io::Error);

    impl std::fmt::Display for Reading {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "reading split.json: {}", self.0)
        }
    }

    impl std::error::Error for Reading {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            Some(&self.0)
        }
    }

    #[test]
    fn each_cause_is_printed_once() {
        let named = anyhow::Error::new(Reading(std::io::Error::other("disk on fire")));
        assert_eq!(error_text(&named), "reading split.json: disk on fire");
        let context = anyhow::Error::new(std::io::Error::other("disk on fire")).context("saving");
        assert_eq!(error_text(&context), "saving: disk on fire");
    }
}
