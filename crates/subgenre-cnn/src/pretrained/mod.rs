//! Pretrained networks of others, run by this crate's own CPU code (no burn): [`musicnn`]
//! (Pons & Serra 2019), MSD_musicnn and MTT_musicnn, converted from the `musicnn` 0.1.0 wheel;
//! with the small [`tensor_file`] (safetensors) reader and the [`float16`] rounding they need.

pub mod float16;
pub mod musicnn;
pub mod tensor_file;
