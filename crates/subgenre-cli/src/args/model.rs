//! `subgenre model edit`'s arguments.

use std::path::PathBuf;

use clap::Args;

#[derive(Debug, Args)]
#[command(
    after_help = "Only the training record changes: the network, classes, input and weights are \
copied byte for byte. --set is applied before --unset.\n\nExample:\n  subgenre model edit \
models/hardtechno-1.sgcnn --set 'split=\"seed 42 group split\"' --set init_seed=42 --unset data"
)]
pub struct ModelEditArgs {
    /// The saved model to edit.
    #[arg(value_name = "FILE")]
    pub model: PathBuf,
    /// Where to write the edited model (default: FILE itself, replaced atomically).
    #[arg(long, value_name = "OUT")]
    pub out: Option<PathBuf>,
    /// Set a key of the training record to a JSON value (quote strings: 'KEY="text"'); repeat
    /// it for several keys.
    #[arg(long, value_name = "KEY=JSON")]
    pub set: Vec<String>,
    /// Remove a key of the training record; repeat it for several keys.
    #[arg(long, value_name = "KEY")]
    pub unset: Vec<String>,
}
