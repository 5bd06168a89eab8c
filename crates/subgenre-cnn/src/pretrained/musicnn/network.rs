//! The musicnn forward pass on the CPU: im2col (or strided views) and `gemm` for every
//! convolution, each patch on one thread, patches of a batch in parallel with rayon on request.
//!
//! Dead filters: most front-end filters of MSD_musicnn never fire (their ReLU output is 0 for
//! every input a log-mel patch can give), so after the batch norm they are constants. At load
//! time each front-end filter's largest possible pre-activation is bounded by interval
//! arithmetic over the input's range (a log-mel value lies in `[0, LOGMEL_MAX]`, so the input
//! batch norm's output lies in a known interval); a filter whose bound, less a bound on f32
//! rounding, is below zero is not computed, and its output is the batch norm of 0, exactly what
//! computing it would give. A patch with a value outside that range runs every filter.

use std::path::Path;

use rayon::prelude::*;

use crate::engine::kernels::{gemm_into, MatRef};

use super::frontend::{N_MELS, PATCH_FRAMES};
use super::weights::{BatchNorm, Weights};
use super::{MusicnnError, MusicnnLayer, MusicnnModel, Result, N_TAGS};

/// The largest value musicnn's log-mel can take: `log10(10000 * 65504 + 1)`, 65504 being
/// float16's largest finite value (rounded up).
pub const LOGMEL_MAX: f32 = 8.8163;

/// Front-end widths: timbral 204 + 204, temporal 51 x 3, mid-end 64, pooled features 753.
const TIMBRAL: usize = 408;
const TEMPORAL: usize = 153;
const FRONT: usize = TIMBRAL + TEMPORAL;
const MID_CH: usize = 64;
const MID: usize = FRONT + 3 * MID_CH;
const DENSE: usize = 200;

/// One front-end branch: a convolution over the (time-padded) input patch, ReLU, batch norm,
/// then the maximum over the remaining frequency positions.
#[derive(Debug, Clone)]
struct Branch {
    kh: usize,
    kw: usize,
    pad_before: usize,
    /// Channels computed (indices into the branch's channels), the others are constants.
    live: Vec<usize>,
    /// `[kh * kw, live.len()]`, row-major: the live columns of TF's `[kh, kw, 1, out]` kernel.
    kernel: Vec<f32>,
    bias: Vec<f32>,
    bn: BatchNorm,
    /// Per channel: the batch norm of 0, a dead channel's output.
    constant: Vec<f32>,
}

impl Branch {
    fn new(
        w: &Weights,
        name: &str,
        kh: usize,
        kw: usize,
        pad_before: usize,
        dead: &[bool],
    ) -> Self {
        let kernel_all = w.get(&format!("{name}.conv.kernel"));
        let bias_all = w.get(&format!("{name}.conv.bias"));
        let bn = w.batch_norm(&format!("{name}.bn"));
        let channels = bn.len();
        let live: Vec<usize> = (0..channels).filter(|&c| !dead[c]).collect();
        let k = kh * kw;
        let mut kernel = Vec::with_capacity(k * live.len());
        for row in 0..k {
            kernel.extend(live.iter().map(|&c| kernel_all[row * channels + c]));
        }
        let constant = (0..channels).map(|c| bn.apply(c, 0.0)).collect();
        Self {
            kh,
            kw,
            pad_before,
            bias: live.iter().map(|&c| bias_all[c]).collect(),
            live,
            kernel,
            bn,
            constant,
        }
    }

    fn channels(&self) -> usize {
        self.constant.len()
    }

    /// `out` `[187, row_stride]` from column `col`: this branch's `[187, channels]`.
    /// `x` is the input-batch-normed patch `[187, 96]`; `scratch` is reused between calls.
    fn forward(
        &self,
        x: &[f32],
        out: &mut [f32],
        row_stride: usize,
        col: usize,
        scratch: &mut Scratch,
    ) {
        let channels = self.channels();
        for t in 0..PATCH_FRAMES {
            out[t * row_stride + col..t * row_stride + col + channels]
                .copy_from_slice(&self.constant);
        }
        let n = self.live.len();
        if n == 0 {
            return;
        }
        let (kh, kw) = (self.kh, self.kw);
        let freqs = N_MELS - kw + 1;
        let padded_rows = PATCH_FRAMES + kh - 1;
        // The input zero-padded in time (padding is applied after the input batch norm).
        let padded = &mut scratch.padded;
        padded.clear();
        padded.resize(padded_rows * N_MELS, 0.0);
        padded[self.pad_before * N_MELS..(self.pad_before + PATCH_FRAMES) * N_MELS]
            .copy_from_slice(x);
        let m = PATCH_FRAMES * freqs;
        let k = kh * kw;
        let z = &mut scratch.z;
        z.clear();
        z.resize(m * n, 0.0);
        if kw == 1 {
            // Temporal filters: row (t, f) of the im2col matrix is padded[t + i, f] for i < kh,
            // already in memory with row stride 1 and column stride 96 (no copy).
            gemm_rm(z, &padded[..], [m, k, n], [1, N_MELS], &self.kernel);
        } else {
            // Timbral filters: im2col, row (t, f) = padded[t + i, f .. f + kw] for i < kh.
            let cols = &mut scratch.im2col;
            cols.clear();
            cols.resize(m * k, 0.0);
            for t in 0..PATCH_FRAMES {
                for f in 0..freqs {
                    let row = &mut cols[(t * freqs + f) * k..(t * freqs + f + 1) * k];
                    for i in 0..kh {
                        let src = (t + i) * N_MELS + f;
                        row[i * kw..(i + 1) * kw].copy_from_slice(&padded[src..src + kw]);
                    }
                }
            }
            gemm_rm(z, &cols[..], [m, k, n], [k, 1], &self.kernel);
        }
        // max over f of bn(relu(z + b)) = bn(relu(max over f of z)) + b where the batch norm's
        // scale is >= 0, and bn(relu(min ...)) where it is negative: both steps are monotonic
        // (in floating point too), so this is exact.
        for t in 0..PATCH_FRAMES {
            let rows = &z[t * freqs * n..(t + 1) * freqs * n];
            for (l, &c) in self.live.iter().enumerate() {
                let increasing = self.bn.scale(c) >= 0.0;
                let mut best = rows[l];
                for f in 1..freqs {
                    let v = rows[f * n + l];
                    best = if increasing { best.max(v) } else { best.min(v) };
                }
                out[t * row_stride + col + c] = self.bn.apply(c, (best + self.bias[l]).max(0.0));
            }
        }
    }
}

/// One mid-end convolution: `[7, width]` over the time-padded `[187, width]` input, ReLU, BN.
#[derive(Debug, Clone)]
struct MidConv {
    width: usize,
    kernel: Vec<f32>,
    bias: Vec<f32>,
    bn: BatchNorm,
}

impl MidConv {
    fn new(w: &Weights, name: &str, width: usize) -> Self {
        Self {
            width,
            kernel: w.get(&format!("{name}.conv.kernel")).to_vec(),
            bias: w.get(&format!("{name}.conv.bias")).to_vec(),
            bn: w.batch_norm(&format!("{name}.bn")),
        }
    }

    /// `input` `[187, width]` -> `out` `[187, 64]` (plus `residual` when given).
    fn forward(
        &self,
        input: &[f32],
        residual: Option<&[f32]>,
        out: &mut [f32],
        scratch: &mut Scratch,
    ) {
        let width = self.width;
        let padded = &mut scratch.padded;
        padded.clear();
        padded.resize((PATCH_FRAMES + 6) * width, 0.0);
        padded[3 * width..(3 + PATCH_FRAMES) * width].copy_from_slice(input);
        // Row t of the im2col matrix is padded[t .. t + 7, :], contiguous: row stride `width`.
        gemm_rm(
            out,
            &padded[..],
            [PATCH_FRAMES, 7 * width, MID_CH],
            [width, 1],
            &self.kernel,
        );
        for t in 0..PATCH_FRAMES {
            for c in 0..MID_CH {
                let i = t * MID_CH + c;
                let v = self.bn.apply(c, (out[i] + self.bias[c]).max(0.0));
                out[i] = match residual {
                    Some(r) => v + r[i],
                    None => v,
                };
            }
        }
    }
}

/// Buffers reused by the layers of one patch.
#[derive(Default)]
struct Scratch {
    padded: Vec<f32>,
    im2col: Vec<f32>,
    z: Vec<f32>,
}

/// The front-end branches in the order of `timbral ++ temporal`: f74, f77, s1, s2, s3.
#[derive(Debug, Clone)]
struct FrontEnd([Branch; 5]);

/// A musicnn network (MSD_musicnn or MTT_musicnn), ready to run.
#[derive(Debug, Clone)]
pub struct Musicnn {
    name: String,
    tags: Vec<String>,
    input_bn: BatchNorm,
    /// Dead filters skipped: used for patches within `[0, LOGMEL_MAX]`.
    pruned: FrontEnd,
    /// Every filter computed: for any other patch.
    full: FrontEnd,
    mid: [MidConv; 3],
    pool_bn: BatchNorm,
    dense_kernel: Vec<f32>,
    dense_bias: Vec<f32>,
    dense_bn: BatchNorm,
    logits_kernel: Vec<f32>,
    logits_bias: Vec<f32>,
}

/// Every layer of a batch of patches, laid out as musicnn's extractor returns them (row-major,
/// per-frame layers stacked along time: patch `p`'s frame `t` is row `p * 187 + t`).
#[derive(Debug, Clone, PartialEq)]
pub struct MusicnnFeatures {
    pub n_patches: usize,
    /// `[n_patches, 50]`, sigmoid of `logits`.
    pub taggram: Vec<f32>,
    /// `[n_patches, 50]`, before the sigmoid.
    pub logits: Vec<f32>,
    /// `[n_patches * 187, 408]`.
    pub timbral: Vec<f32>,
    /// `[n_patches * 187, 153]`.
    pub temporal: Vec<f32>,
    /// `[n_patches * 187, 64]` each.
    pub cnn1: Vec<f32>,
    pub cnn2: Vec<f32>,
    pub cnn3: Vec<f32>,
    /// `[n_patches, 753]` each.
    pub mean_pool: Vec<f32>,
    pub max_pool: Vec<f32>,
    /// `[n_patches, 200]`.
    pub penultimate: Vec<f32>,
}

impl MusicnnFeatures {
    /// A layer's values, row-major `[rows, layer.width()]`.
    pub fn layer(&self, layer: MusicnnLayer) -> &[f32] {
        match layer {
            MusicnnLayer::Taggram => &self.taggram,
            MusicnnLayer::Timbral => &self.timbral,
            MusicnnLayer::Temporal => &self.temporal,
            MusicnnLayer::Cnn1 => &self.cnn1,
            MusicnnLayer::Cnn2 => &self.cnn2,
            MusicnnLayer::Cnn3 => &self.cnn3,
            MusicnnLayer::MeanPool => &self.mean_pool,
            MusicnnLayer::MaxPool => &self.max_pool,
            MusicnnLayer::Penultimate => &self.penultimate,
        }
    }

    /// A layer's shape as the extractor gives it: `[n_patches (* 187), width]`.
    pub fn shape(&self, layer: MusicnnLayer) -> [usize; 2] {
        let rows = if layer.per_frame() {
            self.n_patches * PATCH_FRAMES
        } else {
            self.n_patches
        };
        [rows, layer.width()]
    }
}

/// One patch's outputs.
struct PatchOutput {
    front: Vec<f32>,
    cnn: [Vec<f32>; 3],
    mean_pool: Vec<f32>,
    max_pool: Vec<f32>,
    penultimate: Vec<f32>,
    logits: Vec<f32>,
}

impl Musicnn {
    /// One of the two networks shipped in `models/musicnn/` (embedded in the binary).
    pub fn embedded(model: MusicnnModel) -> Result<Self> {
        Self::from_bytes(model.embedded_weights(), &format!("embedded {model}"))
    }

    /// A converted safetensors file (`tools/musicnn/convert.py`).
    pub fn load(path: &Path) -> Result<Self> {
        let bytes = std::fs::read(path).map_err(|source| MusicnnError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Self::from_bytes(&bytes, &path.display().to_string())
    }

    /// A converted safetensors buffer; `source_name` names it in errors.
    pub fn from_bytes(bytes: &[u8], source_name: &str) -> Result<Self> {
        let w = Weights::parse(bytes, source_name)?;
        let input_bn = w.batch_norm("input_bn");
        let dead = dead_filters(&w, &input_bn);
        let none = [false; 204];
        let front = |dead: [&[bool]; 5]| {
            FrontEnd([
                Branch::new(&w, "timbral_f74", 7, 38, 3, dead[0]),
                Branch::new(&w, "timbral_f77", 7, 67, 3, dead[1]),
                Branch::new(&w, "temporal_s1", 128, 1, 63, dead[2]),
                Branch::new(&w, "temporal_s2", 64, 1, 31, dead[3]),
                Branch::new(&w, "temporal_s3", 32, 1, 15, dead[4]),
            ])
        };
        let pruned = front([&dead[0], &dead[1], &dead[2], &dead[3], &dead[4]]);
        let full = front([&none; 5]);
        Ok(Self {
            name: w
                .model_name
                .clone()
                .unwrap_or_else(|| source_name.to_string()),
            input_bn,
            pruned,
            full,
            mid: [
                MidConv::new(&w, "midend_conv1", FRONT),
                MidConv::new(&w, "midend_conv2", MID_CH),
                MidConv::new(&w, "midend_conv3", MID_CH),
            ],
            pool_bn: w.batch_norm("backend_pool_bn"),
            dense_kernel: w.get("backend_dense.kernel").to_vec(),
            dense_bias: w.get("backend_dense.bias").to_vec(),
            dense_bn: w.batch_norm("backend_dense_bn"),
            logits_kernel: w.get("backend_logits.kernel").to_vec(),
            logits_bias: w.get("backend_logits.bias").to_vec(),
            tags: w.tags,
        })
    }

    /// This network computing every front-end filter, dead or not (for checking that skipping
    /// them changes nothing, and for timing).
    pub fn without_filter_pruning(mut self) -> Self {
        self.pruned = self.full.clone();
        self
    }

    /// The metadata's model name (`MSD_musicnn`), else the source's.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The 50 tags, in taggram order.
    pub fn tags(&self) -> &[String] {
        &self.tags
    }

    /// Front-end filters skipped as provably constant, and the front-end filters in all (765).
    pub fn dead_filters(&self) -> (usize, usize) {
        let total: usize = self.full.0.iter().map(Branch::channels).sum();
        let live: usize = self.pruned.0.iter().map(|b| b.live.len()).sum();
        (total - live, total)
    }

    /// Multiply-adds per patch of the front-end convolutions actually computed (within the
    /// log-mel range) and of all of them.
    pub fn front_end_macs(&self) -> (usize, usize) {
        let macs = |fe: &FrontEnd| {
            fe.0.iter()
                .map(|b| PATCH_FRAMES * (N_MELS - b.kw + 1) * b.kh * b.kw * b.live.len())
                .sum()
        };
        (macs(&self.pruned), macs(&self.full))
    }

    /// Every layer for `patches`, row-major `[n, 187, 96]` log-mel patches
    /// ([`super::logmel_patches`]), each patch on the calling thread in turn.
    pub fn forward(&self, patches: &[f32]) -> Result<MusicnnFeatures> {
        let n = self.check(patches)?;
        let outs: Vec<PatchOutput> = patches
            .chunks_exact(PATCH_FRAMES * N_MELS)
            .map(|p| self.forward_patch(p))
            .collect();
        Ok(assemble(n, outs))
    }

    /// [`Musicnn::forward`] with the patches spread over rayon's threads (same results).
    pub fn forward_parallel(&self, patches: &[f32]) -> Result<MusicnnFeatures> {
        let n = self.check(patches)?;
        let outs: Vec<PatchOutput> = patches
            .par_chunks_exact(PATCH_FRAMES * N_MELS)
            .map(|p| self.forward_patch(p))
            .collect();
        Ok(assemble(n, outs))
    }

    fn check(&self, patches: &[f32]) -> Result<usize> {
        let size = PATCH_FRAMES * N_MELS;
        if patches.is_empty() || patches.len() % size != 0 {
            return Err(MusicnnError::BadPatches(format!(
                "{} values is not a whole number (at least 1) of {PATCH_FRAMES}x{N_MELS} patches",
                patches.len()
            )));
        }
        if let Some(i) = patches.iter().position(|v| !v.is_finite()) {
            return Err(MusicnnError::BadPatches(format!(
                "non-finite value {} at patch {}, frame {}, band {}",
                patches[i],
                i / size,
                i % size / N_MELS,
                i % N_MELS
            )));
        }
        Ok(patches.len() / size)
    }

    fn forward_patch(&self, patch: &[f32]) -> PatchOutput {
        let mut scratch = Scratch::default();
        let in_range = patch.iter().all(|&v| (0.0..=LOGMEL_MAX).contains(&v));
        let front_end = if in_range { &self.pruned } else { &self.full };
        let x: Vec<f32> = patch.iter().map(|&v| self.input_bn.apply(0, v)).collect();
        let mut front = vec![0.0; PATCH_FRAMES * FRONT];
        let mut col = 0;
        for branch in &front_end.0 {
            branch.forward(&x, &mut front, FRONT, col, &mut scratch);
            col += branch.channels();
        }
        let mut cnn1 = vec![0.0; PATCH_FRAMES * MID_CH];
        let mut cnn2 = cnn1.clone();
        let mut cnn3 = cnn1.clone();
        self.mid[0].forward(&front, None, &mut cnn1, &mut scratch);
        self.mid[1].forward(&cnn1, Some(&cnn1), &mut cnn2, &mut scratch);
        self.mid[2].forward(&cnn2, Some(&cnn2), &mut cnn3, &mut scratch);

        // Max and mean over time of front ++ cnn1 ++ cnn2 ++ cnn3.
        let mut max_pool = vec![f32::NEG_INFINITY; MID];
        let mut sums = vec![0.0f64; MID];
        let parts: [(&[f32], usize, usize); 4] = [
            (&front, FRONT, 0),
            (&cnn1, MID_CH, FRONT),
            (&cnn2, MID_CH, FRONT + MID_CH),
            (&cnn3, MID_CH, FRONT + 2 * MID_CH),
        ];
        for (values, width, offset) in parts {
            for row in values.chunks_exact(width) {
                for (j, &v) in row.iter().enumerate() {
                    max_pool[offset + j] = max_pool[offset + j].max(v);
                    sums[offset + j] += f64::from(v);
                }
            }
        }
        let mean_pool: Vec<f32> = sums
            .iter()
            .map(|s| (s / PATCH_FRAMES as f64) as f32)
            .collect();

        // TF flattens [753, 2] (max, mean): interleaved.
        let flat: Vec<f32> = (0..2 * MID)
            .map(|i| {
                let v = if i % 2 == 0 {
                    max_pool[i / 2]
                } else {
                    mean_pool[i / 2]
                };
                self.pool_bn.apply(i, v)
            })
            .collect();
        let mut dense = self.dense_bias.clone();
        vec_mat(&flat, &self.dense_kernel, &mut dense);
        let penultimate: Vec<f32> = dense
            .iter()
            .enumerate()
            .map(|(c, &v)| self.dense_bn.apply(c, v.max(0.0)))
            .collect();
        let mut logits = self.logits_bias.clone();
        vec_mat(&penultimate, &self.logits_kernel, &mut logits);
        PatchOutput {
            front,
            cnn: [cnn1, cnn2, cnn3],
            mean_pool,
            max_pool,
            penultimate,
            logits,
        }
    }
}

/// `out += x @ kernel` for row-major `kernel` `[x.len(), out.len()]`.
fn vec_mat(x: &[f32], kernel: &[f32], out: &mut [f32]) {
    for (&xi, row) in x.iter().zip(kernel.chunks_exact(out.len())) {
        for (o, &k) in out.iter_mut().zip(row) {
            *o += xi * k;
        }
    }
}

fn assemble(n: usize, outs: Vec<PatchOutput>) -> MusicnnFeatures {
    let mut f = MusicnnFeatures {
        n_patches: n,
        taggram: Vec::with_capacity(n * N_TAGS),
        logits: Vec::with_capacity(n * N_TAGS),
        timbral: Vec::with_capacity(n * PATCH_FRAMES * TIMBRAL),
        temporal: Vec::with_capacity(n * PATCH_FRAMES * TEMPORAL),
        cnn1: Vec::with_capacity(n * PATCH_FRAMES * MID_CH),
        cnn2: Vec::with_capacity(n * PATCH_FRAMES * MID_CH),
        cnn3: Vec::with_capacity(n * PATCH_FRAMES * MID_CH),
        mean_pool: Vec::with_capacity(n * MID),
        max_pool: Vec::with_capacity(n * MID),
        penultimate: Vec::with_capacity(n * DENSE),
    };
    for o in outs {
        for row in o.front.chunks_exact(FRONT) {
            f.timbral.extend_from_slice(&row[..TIMBRAL]);
            f.temporal.extend_from_slice(&row[TIMBRAL..]);
        }
        let [c1, c2, c3] = o.cnn;
        f.cnn1.extend(c1);
        f.cnn2.extend(c2);
        f.cnn3.extend(c3);
        f.mean_pool.extend(o.mean_pool);
        f.max_pool.extend(o.max_pool);
        f.penultimate.extend(o.penultimate);
        f.taggram
            .extend(o.logits.iter().map(|&l| 1.0 / (1.0 + (-l).exp())));
        f.logits.extend(o.logits);
    }
    f
}

/// Per front-end branch (f74, f77, s1, s2, s3), which filters can never give a positive
/// pre-activation for a patch within `[0, LOGMEL_MAX]`: interval arithmetic in f64 over the
/// input batch norm's output range (zero included: the time padding), with a margin for f32
/// rounding of the computed convolution and of the input batch norm.
fn dead_filters(w: &Weights, input_bn: &BatchNorm) -> [Vec<bool>; 5] {
    let ends = [input_bn.apply(0, 0.0), input_bn.apply(0, LOGMEL_MAX)].map(f64::from);
    let widen = 1e-5 * (ends[0].abs() + ends[1].abs());
    let lo = ends[0].min(ends[1]).min(0.0) - widen;
    let hi = ends[0].max(ends[1]).max(0.0) + widen;
    let reach = lo.abs().max(hi.abs());
    [
        "timbral_f74",
        "timbral_f77",
        "temporal_s1",
        "temporal_s2",
        "temporal_s3",
    ]
    .map(|name| {
        let kernel = w.get(&format!("{name}.conv.kernel"));
        let bias = w.get(&format!("{name}.conv.bias"));
        let channels = bias.len();
        let k = kernel.len() / channels;
        (0..channels)
            .map(|c| {
                let mut upper = f64::from(bias[c]);
                let mut magnitude = f64::from(bias[c]).abs();
                for row in 0..k {
                    let kv = f64::from(kernel[row * channels + c]);
                    upper += (kv * lo).max(kv * hi);
                    magnitude += kv.abs() * reach;
                }
                // f32 sums of k + 1 terms err by at most (k + 1) u times the sum of magnitudes.
                let rounding = (k + 1) as f64 * f64::from(f32::EPSILON) * magnitude;
                upper + rounding < 0.0
            })
            .collect()
    })
}

/// `dst[m, n] = lhs[m, k] @ rhs[k, n]` (overwritten), `lhs` addressed with `[row, col]`
/// strides over `lhs_data` (rows may overlap: im2col views), `rhs` and `dst` row-major: the
/// engine's matrix product.
fn gemm_rm(
    dst: &mut [f32],
    lhs_data: &[f32],
    [m, k, n]: [usize; 3],
    strides: [usize; 2],
    rhs: &[f32],
) {
    let lhs = MatRef::strided(lhs_data, [m, k], strides);
    let done = gemm_into(dst, n, lhs, MatRef::row_major(rhs, k, n), false);
    // The shapes are the network's constants and the weights' checked sizes.
    if let Err(e) = done {
        unreachable!("musicnn matrix product: {e} (an internal error)");
    }
}
