//! Where tensors live: the one place that picks burn's backend by cargo feature. A new
//! backend is a cargo feature (Cargo.toml), a branch of [`default_device`] and of
//! [`backend_name`], and in `ON_GPU` when it is not the CPU (which then makes
//! [`crate::engine::Engine::for_build`] choose burn's tensors).
//!
//! Burn 0.22 has no backend type parameter: a [`Device`] names the backend at run time. Without
//! features the crate computes on **Flex**, burn's pure-Rust CPU backend (SIMD kernels, rayon
//! threads); with the `cuda` feature it computes on the first CUDA GPU, with `vulkan` on the
//! best GPU that Vulkan finds (through wgpu and SPIR-V). Training wraps the device with
//! `device.autodiff()`; inference uses the plain device.
//!
//! Why three GPU features: burn's CUDA backend (cubecl-cuda 0.11) builds LLVM's NVPTX code
//! generator, whose build script downloads a prebuilt LLVM from GitHub; on a machine without
//! that access (this project's build machines) `cuda` does not build. `vulkan` needs no
//! download at build time, only a Vulkan driver where it runs (NVIDIA's driver has one), but
//! runs burn's own kernels. `tch` runs on LibTorch (cuDNN's kernels, as PyTorch), linked
//! against the libtorch of an installed PyTorch 2.9.0 wheel (from the package registry).

use burn::tensor::Device;

/// The device every model of this crate is built on and every batch is sent to.
pub fn default_device() -> Device {
    #[cfg(feature = "cuda")]
    {
        Device::cuda(0)
    }
    #[cfg(all(feature = "tch", not(feature = "cuda")))]
    {
        // burn 0.22 marks burn-tch deprecated (to be removed in a later release); it is still
        // the one CUDA path that builds from the package registries alone.
        #[allow(deprecated)]
        Device::libtorch_cuda(0)
    }
    #[cfg(all(feature = "vulkan", not(any(feature = "cuda", feature = "tch"))))]
    {
        Device::vulkan(burn::tensor::DeviceKind::DefaultDevice)
    }
    #[cfg(not(any(feature = "cuda", feature = "tch", feature = "vulkan")))]
    {
        Device::flex()
    }
}

/// Whether [`default_device`] is a GPU (a `cuda`, `tch` or `vulkan` build). Read only by
/// [`crate::engine::Engine::for_build`], which chooses the engine from it.
pub(crate) const ON_GPU: bool = cfg!(any(feature = "cuda", feature = "tch", feature = "vulkan"));

/// A short name for reports: `flex-cpu`, `cuda`, `libtorch-cuda` or `vulkan`.
pub fn backend_name() -> &'static str {
    if cfg!(feature = "cuda") {
        "cuda"
    } else if cfg!(feature = "tch") {
        "libtorch-cuda"
    } else if cfg!(feature = "vulkan") {
        "vulkan"
    } else {
        "flex-cpu"
    }
}

/// Run `f` with the CPU backend limited to `threads` worker threads (`0`: rayon's default, one
/// per core). Flex parallelises its kernels (convolution, matmul) on the current rayon pool, so
/// installing a dedicated pool bounds what training or inference uses. On CUDA this only bounds
/// the host-side work.
pub fn with_threads<T: Send>(threads: usize, f: impl FnOnce() -> T + Send) -> T {
    if threads == 0 {
        return f();
    }
    match rayon::ThreadPoolBuilder::new().num_threads(threads).build() {
        Ok(pool) => pool.install(f),
        // The pool could not be built (no threads left): run on the caller's pool.
        Err(_) => f(),
    }
}

/// Make glibc's allocator keep freed memory for reuse instead of returning it to the kernel,
/// for the whole process. Call it once, early in `main`, before training or predicting on the
/// CPU.
///
/// Why: every layer of a CNN allocates tensors of tens to hundreds of MB (at 128x128, batch
/// 64, the first block's activations are 134 MB). glibc serves blocks that large with fresh
/// `mmap`s and unmaps them on free, so each one is paid for again in page faults (the kernel
/// zeroing 4 KB pages one at a time); on the 2-core VMs of this project that was 19 of a
/// training epoch's 66 seconds, nearly all of it system time. With this call, large blocks
/// come from the heap and stay mapped: measured on cnn_drop_first at 128x128, batch 64, one
/// thread, an epoch took 54 s instead of 66 s, and peak memory rose by ~3 %. It is the same as starting
/// the process with `MALLOC_ARENA_MAX=1 MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=2147483647
/// MALLOC_TOP_PAD_=268435456`. Returns whether the settings were applied (glibc on Linux
/// only; a no-op elsewhere, or when a different global allocator is in use).
pub fn keep_freed_memory() -> bool {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        use std::os::raw::c_int;
        extern "C" {
            fn mallopt(param: c_int, value: c_int) -> c_int;
        }
        const M_TRIM_THRESHOLD: c_int = -1;
        const M_TOP_PAD: c_int = -2;
        const M_MMAP_MAX: c_int = -4;
        const M_ARENA_MAX: c_int = -8;
        let settings = [
            (M_ARENA_MAX, 1),
            (M_MMAP_MAX, 0),
            (M_TRIM_THRESHOLD, c_int::MAX),
            (M_TOP_PAD, 256 << 20),
        ];
        // SAFETY: `mallopt` only changes glibc's allocation parameters; it takes plain integers,
        // is thread-safe (it locks each arena) and never invalidates existing allocations.
        settings
            .iter()
            .all(|&(param, value)| unsafe { mallopt(param, value) } == 1)
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    {
        false
    }
}
