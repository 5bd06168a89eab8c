//! `subgenre model edit`: rewrite a saved model's training record.

use std::process::ExitCode;

use anyhow::{anyhow, Context, Result};
use subgenre_cnn::RecordEdit;

use crate::args::ModelEditArgs;

pub fn run(args: ModelEditArgs) -> Result<ExitCode> {
    let mut edits = args
        .set
        .iter()
        .map(|item| parse_set(item))
        .collect::<Result<Vec<_>>>()?;
    edits.extend(args.unset.into_iter().map(RecordEdit::Unset));
    let out = args.out.unwrap_or_else(|| args.model.clone());
    let spec = subgenre_cnn::edit_record(&args.model, &out, &edits)
        .with_context(|| format!("editing {}", args.model.display()))?;
    println!("{}: training record", out.display());
    println!("{}", serde_json::to_string_pretty(&spec.trained)?);
    Ok(ExitCode::SUCCESS)
}

/// `KEY=JSON` as an edit.
fn parse_set(item: &str) -> Result<RecordEdit> {
    let (key, value) = item
        .split_once('=')
        .filter(|(key, _)| !key.is_empty())
        .ok_or_else(|| anyhow!("--set {item}: expected KEY=JSON"))?;
    let value = serde_json::from_str(value).with_context(|| {
        format!("--set {item}: {value} is not JSON (quote a string: {key}='\"{value}\"')")
    })?;
    Ok(RecordEdit::Set(key.to_string(), value))
}
