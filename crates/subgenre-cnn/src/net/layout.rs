//! A [`Cnn`] laid out for the CPU engine: its weights read into plain buffers, each batch norm
//! (on its running statistics) folded into the convolution before it.

use super::Cnn;
use crate::engine::cpu::{ConvLayer, CpuCnn, Dense};
use crate::error::{CnnError, Result};

fn values<const D: usize>(t: burn::Tensor<D>, what: &str) -> Result<Vec<f32>> {
    t.into_data()
        .try_to_vec::<f32>()
        .map_err(|e| CnnError::Tensor(format!("{what}: {e:?}")))
}

fn dense(layer: &burn::nn::Linear, what: &str) -> Result<Dense> {
    let [inputs, outputs] = layer.weight.dims();
    let weight = values(layer.weight.val(), what)?;
    let bias = match &layer.bias {
        Some(b) => values(b.val(), what)?,
        None => vec![0.0; outputs],
    };
    Ok(Dense {
        inputs,
        outputs,
        weight,
        bias,
    })
}

impl CpuCnn {
    /// Copy `model`'s weights, folding each batch norm (on its running statistics) into the
    /// convolution before it.
    pub fn new(model: &Cnn) -> Result<Self> {
        let config = model.config();
        if config.height == 0 || config.width == 0 {
            return Err(CnnError::InputTooSmall {
                height: config.height,
                width: config.width,
                arch: config.arch,
            });
        }
        let mut convs = Vec::with_capacity(model.blocks.len());
        for (i, block) in model.blocks.iter().enumerate() {
            let what = format!("block {i}");
            let [channels_out, channels_in, kh, kw] = block.conv.weight.dims();
            if [kh, kw] != [3, 3] {
                return Err(CnnError::CpuEngine(format!(
                    "{what}: a {kh}x{kw} kernel; only 3x3 convolutions are laid out for the CPU"
                )));
            }
            let mut kernel = values(block.conv.weight.val(), &what)?;
            let mut bias = match &block.conv.bias {
                Some(b) => values(b.val(), &what)?,
                None => vec![0.0; channels_out],
            };
            if let Some(norm) = &block.norm {
                let gamma = values(norm.gamma.val(), &what)?;
                let beta = values(norm.beta.val(), &what)?;
                let mean = values(norm.running_mean.value(), &what)?;
                let var = values(norm.running_var.value(), &what)?;
                let k = channels_in * 9;
                for c in 0..channels_out {
                    let scale = gamma[c] / (var[c] + norm.epsilon as f32).sqrt();
                    kernel[c * k..(c + 1) * k]
                        .iter_mut()
                        .for_each(|v| *v *= scale);
                    bias[c] = (bias[c] - mean[c]) * scale + beta[c];
                }
            }
            convs.push(ConvLayer {
                channels_in,
                channels_out,
                kernel,
                bias,
                pool_kernel: block.pool.kernel_size,
                pool_stride: block.pool.stride,
            });
        }
        CpuCnn::from_layers(
            [config.height, config.width],
            convs,
            model.features,
            dense(&model.hidden, "hidden layer")?,
            dense(&model.output, "output layer")?,
        )
    }
}
