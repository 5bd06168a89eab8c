//! # subgenre-cnn
//!
//! The study's CNNs on mel-spectrograms, and a compact one of this project's own, in
//! [burn](https://burn.dev) 0.22: the networks ([`model`]), samples and batches ([`data`]),
//! training with burn-train's learner ([`training`]), saved models, ensembles and prediction
//! ([`inference`]), and the backend choice ([`backend`]: Flex on the CPU by default, CUDA with
//! the `cuda` feature or through LibTorch with `tch`, any Vulkan GPU with `vulkan`).
//!
//! Performance on the CPU (cnn_drop_first, 128x128, batch 64, 900 training + 200 validation
//! clips, release build, idle 2-core Intel VM, 2026-12-07): ~9.5 s per epoch on one thread with
//! [`keep_freed_memory`] called first, ~6 s on two, peak RSS ~0.5 GB (Keras 2.21 on the same
//! machine: ~10 s and 6-10 s); `compact` ~10.7 s and ~6.4 s. On the CPU each conv block's
//! convolution and ReLU + max pooling run this crate's own forward and backward passes
//! ([`train_ops`], one fused operation where the block has no batch norm; burn's own ops are
//! more than 2x slower). `examples/bench_epoch.rs` measures it (`--burn-ops` for burn's),
//! `examples/op_bench.rs` times each layer.
//!
//! ```no_run
//! use subgenre_cnn::{Arch, Sample, TrainConfig, train, save_model, ModelSpec, InputSpec};
//! # fn main() -> Result<(), subgenre_cnn::CnnError> {
//! # let (train_set, val_set): (Vec<Sample>, Vec<Sample>) = (vec![], vec![]);
//! subgenre_cnn::keep_freed_memory(); // once, at the start of main
//! let classes = vec!["hardgroove".to_string(), "industrial".to_string()];
//! let config = TrainConfig::square(Arch::CnnDropFirst, 128, classes.clone()).with_patience(10);
//! let outcome = train(&config, train_set, val_set, "runs/seed42".as_ref(), |e| {
//!     println!("epoch {:2}: loss {:.4} acc {:.4} | val loss {:.4} acc {:.4} ({:.1}s)",
//!         e.epoch, e.train_loss, e.train_acc, e.val_loss, e.val_acc, e.seconds);
//! })?;
//! let spec = ModelSpec::new(&outcome.model, classes, InputSpec::new("normal", 128));
//! save_model("model.sgcnn".as_ref(), &outcome.model, &spec)?;
//! # Ok(()) }
//! ```

pub mod backend;
pub mod cpu;
pub mod data;
pub mod error;
pub mod inference;
mod kernels;
pub mod model;
pub mod pretrained;
pub mod train_ops;
pub mod training;
mod winograd;

pub use backend::{backend_name, default_device, keep_freed_memory, with_threads};
pub use cpu::CpuCnn;
pub use data::{balanced_class_weights, AugmentConfig, Sample};
pub use error::{CnnError, Result};
pub use inference::{
    argmax, load_model, load_model_bytes, load_model_on, predict, predict_proba,
    predict_proba_burn, predict_proba_embedded, read_spec, save_model, Ensemble, InputSpec,
    ModelSpec, ProbsAndEmbeddings, SavedModel,
};
pub use model::{freeze, replace_head, Arch, Cnn, CompactPool, ModelConfig};
pub use pretrained::musicnn::{Musicnn, MusicnnError, MusicnnFeatures, MusicnnLayer, MusicnnModel};
pub use training::{
    remove_checkpoints, train, train_from, EpochLog, OptimizerConfig, TrainConfig, TrainOutcome,
};

/// burn's `Config` trait, for `TrainConfig::save`/`load` and the `with_*` builders.
pub use burn::config::Config;
