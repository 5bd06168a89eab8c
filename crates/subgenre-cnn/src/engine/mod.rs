//! The code that computes a network, and the one place that chooses it.
//!
//! Two engines compute the same function (to float rounding):
//! - [`Engine::Cpu`], this crate's own CPU engine: plain-slice kernels ([`kernels`]), Winograd's
//!   F(2x2, 3x3) convolution ([`winograd`]), a trained network laid out as plain buffers for
//!   inference ([`cpu::CpuCnn`]), and burn operations with their own forward and backward passes
//!   ([`ops`]) that every conv block runs on the CPU, in training and in burn's forward pass;
//! - [`Engine::Burn`], burn's own tensor operations on the backend's device
//!   ([`crate::backend`]): the GPU builds.
//!
//! [`Engine::for_build`] picks one from the build's backend; a network keeps the choice it was
//! built with ([`crate::Cnn::engine`], [`crate::Cnn::with_engine`]). This module knows no
//! network: the networks ([`crate::net`]) lay themselves out for it.

pub mod cpu;
pub(crate) mod kernels;
pub mod ops;
pub(crate) mod winograd;

/// Per input, its class probabilities; and per input, its embedding (when asked for).
pub type ProbsAndEmbeddings = (Vec<Vec<f32>>, Vec<Vec<f32>>);

/// Which code computes a network's forward (and backward) pass.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Engine {
    /// This crate's CPU engine: [`cpu::CpuCnn`] for inference, [`ops`] in each conv block
    /// (which needs the network on the CPU device, Flex).
    Cpu,
    /// burn's own tensor operations, on whatever device the network is on.
    Burn,
}

impl Engine {
    /// The engine of this build: the CPU engine on the CPU backend (several times faster than
    /// burn's tensors there), burn's tensors on a GPU backend. The one place the choice is made.
    pub const fn for_build() -> Self {
        if crate::backend::ON_GPU {
            Engine::Burn
        } else {
            Engine::Cpu
        }
    }

    /// `cpu` or `burn`, for reports.
    pub fn name(self) -> &'static str {
        match self {
            Engine::Cpu => "cpu",
            Engine::Burn => "burn",
        }
    }
}

impl Default for Engine {
    fn default() -> Self {
        Engine::for_build()
    }
}
