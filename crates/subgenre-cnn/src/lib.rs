//! # subgenre-cnn
//!
//! The study's CNNs on mel-spectrograms, and a compact one of this project's own, in
//! [burn](https://burn.dev) 0.22. The modules, by job:
//!
//! - [`net`]: the networks. [`Arch`] names them through one registry; each has its own file
//!   (`net/study.rs`, `net/compact.rs`) that plans its layers, and [`Cnn`] is the burn module
//!   they are built as.
//! - [`data`]: samples, the burn dataset and the batcher (class weights, masking, mixup).
//! - [`train`]: training with burn-train's learner: its configuration, the run folder and resume,
//!   the learner's hooks.
//! - [`artifact`]: the saved-model format (`.sgcnn`): save, load, read and edit the record.
//! - [`pretrained`]: networks trained elsewhere, with converted weights and inference only
//!   (musicnn's `MSD_musicnn` and `MTT_musicnn`, from safetensors), on plain buffers and gemm.
//! - [`predict`] and [`ensemble`]: class probabilities and embeddings of one model, or the
//!   average of several.
//! - [`engine`]: the code that computes a network: this crate's CPU engine (kernels, Winograd,
//!   fused operations with their own backward passes, a network as plain buffers) or burn's
//!   tensors, chosen in one place ([`Engine::for_build`]).
//! - [`backend`]: where tensors live: Flex on the CPU by default, CUDA with the `cuda` feature
//!   or through LibTorch with `tch`, any Vulkan GPU with `vulkan`.
//!
//! **A new network** of conv blocks and a two-layer head: one file in `net/` that returns its
//! layer plan, and one entry in the `networks!` registry in `net/mod.rs` (see [`net`]). A
//! network trained elsewhere (converted weights, inference only) gets its own folder in
//! `pretrained/` with its weights loader, as `pretrained/musicnn/`; nothing here assumes that
//! every network trains. **A new backend**: a cargo feature and its branch in [`backend`]
//! (`default_device`, `backend_name`, and `ON_GPU` when it is not the CPU); the engine follows
//! from it. **A new engine**: a variant of [`Engine`], its code in `engine/`, and its branch
//! where a network runs ([`predict`], [`ensemble`], the conv block's forward).
//!
//! Performance on the CPU (cnn_drop_first, 128x128, batch 64, 900 training + 200 validation
//! clips, release build, idle 2-core Intel VM, 2026-12-07): ~9.5 s per epoch on one thread with
//! [`keep_freed_memory`] called first, ~6 s on two, peak RSS ~0.5 GB (Keras 2.21 on the same
//! machine: ~10 s and 6-10 s); `compact` ~10.7 s and ~6.4 s. On the CPU each conv block's
//! convolution and ReLU + max pooling run this crate's own forward and backward passes
//! ([`engine::ops`], one fused operation where the block has no batch norm; burn's own ops are
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

pub mod artifact;
pub mod backend;
pub mod data;
pub mod engine;
pub mod ensemble;
pub mod error;
pub mod net;
pub mod predict;
pub mod pretrained;
pub mod train;

pub use artifact::{
    edit_record, load_model, load_model_bytes, load_model_on, read_spec, save_model, InputSpec,
    ModelSpec, RecordEdit, SavedModel, FORMAT_VERSION,
};
pub use backend::{backend_name, default_device, keep_freed_memory, with_threads};
pub use data::{balanced_class_weights, AugmentConfig, Sample};
pub use engine::cpu::CpuCnn;
pub use engine::{Engine, ProbsAndEmbeddings};
pub use ensemble::Ensemble;
pub use error::{CnnError, Result};
pub use net::{freeze, replace_head, Arch, Cnn, CompactPool, ModelConfig};
pub use predict::{argmax, predict, predict_proba, predict_proba_burn, predict_proba_embedded};
pub use pretrained::musicnn::{Musicnn, MusicnnError, MusicnnFeatures, MusicnnLayer, MusicnnModel};
pub use train::{
    remove_checkpoints, train, train_from, EpochLog, OptimizerConfig, TrainConfig, TrainOutcome,
};

/// burn's `Config` trait, for `TrainConfig::save`/`load` and the `with_*` builders.
pub use burn::config::Config;
