//! A 3x3 "same" convolution by Winograd's minimal filtering F(2x2, 3x3) (Lavin and Gray, 2016):
//! each 2x2 block of outputs from a 4x4 input patch with 16 multiplications per channel pair
//! instead of 36. Kernels and patches are transformed once (`G g G^T`, `B^T d B`), the 16
//! transformed positions become 16 matrix products `[C_out, C_in] x [C_in, tiles]` on gemm, and
//! the output transform `A^T m A` turns each 4x4 product back into 2x2 outputs.
//!
//! Why: the 32- and 64-channel convolutions were nearly all of a training epoch and of a track's
//! prediction, spent in gemm's microkernel already near its speed; fewer multiplications is what
//! remains. The transforms use only halves, sums and differences, so results equal the direct
//! convolution to float rounding (tests here and in `engine::ops`).

use super::kernels::{gemm_into, MatRef};
use crate::error::{CnnError, Result};

/// Positions of a transformed 4x4 tile.
const POSITIONS: usize = 16;

/// About this many f32 values of transformed patches and products are live at a time (a band of
/// tile rows), so they stay in cache between the transform and the product.
const BAND_VALUES: usize = 96 * 1024;

/// Fewest tiles per band: below this gemm's per-call packing outweighs the cache gain.
const MIN_BAND_TILES: usize = 64;

/// From this many input channels on, the convolutions take [`Winograd3x3`]; below, the
/// neighbourhoods x kernel product (the networks' first block, one channel, whose Winograd
/// products would have an inner dimension of 1). Networks whose blocks have 16, 32 and 64
/// input channels train faster with it (BENCHMARKS.md); 8 is a guess, no network has it.
pub(crate) const MIN_CHANNELS_IN: usize = 8;

/// A 3x3 kernel `[C_out, C_in, 3, 3]` transformed for F(2x2, 3x3): `[16, C_out, C_in]`.
#[derive(Clone, Debug)]
pub(crate) struct Winograd3x3 {
    channels_in: usize,
    channels_out: usize,
    transformed: Vec<f32>,
}

/// Per-thread buffers reused from image to image.
#[derive(Default)]
pub(crate) struct WinogradScratch {
    patches: Vec<f32>,
    products: Vec<f32>,
    rows: Vec<f32>,
    outputs: Vec<f32>,
}

impl Winograd3x3 {
    /// `kernel` in burn's `[C_out, C_in, 3, 3]` order (a cross-correlation, as burn's and Keras's
    /// convolutions).
    pub(crate) fn new(kernel: &[f32], channels_out: usize, channels_in: usize) -> Result<Self> {
        let pairs = channels_out * channels_in;
        if kernel.len() != pairs * 9 {
            return Err(CnnError::Tensor(format!(
                "a [{channels_out}, {channels_in}, 3, 3] kernel given {} values",
                kernel.len()
            )));
        }
        let mut transformed = vec![0.0f32; POSITIONS * pairs];
        for (pair, g) in kernel.chunks_exact(9).enumerate() {
            // G g: 4 rows of 3.
            let mut gg = [[0.0f32; 3]; 4];
            for col in 0..3 {
                let (a, b, c) = (g[col], g[3 + col], g[6 + col]);
                gg[0][col] = a;
                gg[1][col] = 0.5 * (a + b + c);
                gg[2][col] = 0.5 * (a - b + c);
                gg[3][col] = c;
            }
            // (G g) G^T: 4 x 4.
            for (row, &[a, b, c]) in gg.iter().enumerate() {
                let values = [a, 0.5 * (a + b + c), 0.5 * (a - b + c), c];
                for (col, v) in values.into_iter().enumerate() {
                    transformed[(row * 4 + col) * pairs + pair] = v;
                }
            }
        }
        Ok(Self {
            channels_in,
            channels_out,
            transformed,
        })
    }

    /// The kernel of this convolution's adjoint: the input gradient of `conv(x)` is
    /// `adjoint.conv(grad)`, a "same" convolution with the kernel turned by 180 degrees and its
    /// channels swapped.
    pub(crate) fn adjoint_of(
        kernel: &[f32],
        channels_out: usize,
        channels_in: usize,
    ) -> Result<Self> {
        if kernel.len() != channels_out * channels_in * 9 {
            return Self::new(kernel, channels_out, channels_in);
        }
        let mut turned = vec![0.0f32; kernel.len()];
        for k in 0..channels_out {
            for c in 0..channels_in {
                let from = &kernel[(k * channels_in + c) * 9..][..9];
                let to = &mut turned[(c * channels_out + k) * 9..][..9];
                for (i, v) in from.iter().enumerate() {
                    to[8 - i] = *v;
                }
            }
        }
        Self::new(&turned, channels_in, channels_out)
    }

    /// `out` (`[C_out, h, w]`) = the "same" convolution of `image` (`[C_in, h, w]`), no bias.
    pub(crate) fn conv(
        &self,
        image: &[f32],
        [h, w]: [usize; 2],
        out: &mut [f32],
        scratch: &mut WinogradScratch,
    ) -> Result<()> {
        let (c_in, c_out) = (self.channels_in, self.channels_out);
        let (tiles_h, tiles_w) = (h.div_ceil(2), w.div_ceil(2));
        if image.len() != c_in * h * w || out.len() != c_out * h * w {
            return Err(CnnError::Tensor(format!(
                "a Winograd convolution of {c_in} -> {c_out} channels at {h}x{w} given {} and {} \
                 values",
                image.len(),
                out.len()
            )));
        }
        if tiles_h * tiles_w == 0 {
            return Ok(());
        }
        let band_rows = band_rows(c_in + c_out, [tiles_h, tiles_w], MIN_BAND_TILES);
        let pairs = c_out * c_in;
        for t0 in (0..tiles_h).step_by(band_rows) {
            let rows = t0..(t0 + band_rows).min(tiles_h);
            let tiles = rows.len() * tiles_w;
            scratch.patches.resize(POSITIONS * c_in * tiles, 0.0);
            scratch.products.resize(POSITIONS * c_out * tiles, 0.0);
            transform_patches(image, c_in, [h, w], rows.clone(), scratch);
            for position in 0..POSITIONS {
                gemm_into(
                    &mut scratch.products[position * c_out * tiles..][..c_out * tiles],
                    tiles,
                    MatRef::row_major(&self.transformed[position * pairs..][..pairs], c_out, c_in),
                    MatRef::row_major(
                        &scratch.patches[position * c_in * tiles..][..c_in * tiles],
                        c_in,
                        tiles,
                    ),
                    false,
                )?;
            }
            untransform_products(
                &scratch.products,
                c_out,
                [h, w],
                rows,
                &mut scratch.outputs,
                out,
            );
        }
        Ok(())
    }
}

/// Tile rows per band for `channels` (in and out) channels: about [`BAND_VALUES`] values, at
/// least `min_tiles` tiles.
fn band_rows(channels: usize, [tiles_h, tiles_w]: [usize; 2], min_tiles: usize) -> usize {
    (BAND_VALUES / (POSITIONS * channels * tiles_w))
        .max(min_tiles.div_ceil(tiles_w))
        .clamp(1, tiles_h.max(1))
}

/// Fewest tiles per band for the kernel gradient, whose products sum over the tiles: short sums
/// would leave gemm little to do per call.
const MIN_GRADIENT_BAND_TILES: usize = 512;

/// The kernel gradient of a [`Winograd3x3`] convolution, summed image by image in the transformed
/// domain (`[16, C_out, C_in]`: one `[C_out, tiles] x [tiles, C_in]` product per position), and
/// turned back into `[C_out, C_in, 3, 3]` once at the end.
pub(crate) struct WinogradKernelGradient {
    channels_in: usize,
    channels_out: usize,
    sum: Vec<f32>,
}

impl WinogradKernelGradient {
    pub(crate) fn new(channels_out: usize, channels_in: usize) -> Self {
        Self {
            channels_in,
            channels_out,
            sum: vec![0.0; POSITIONS * channels_out * channels_in],
        }
    }

    /// Adds the kernel gradient of one image: `image` the convolution's input (`[C_in, h, w]`),
    /// `grad` the gradient of its output (`[C_out, h, w]`).
    pub(crate) fn add(
        &mut self,
        image: &[f32],
        grad: &[f32],
        [h, w]: [usize; 2],
        scratch: &mut WinogradScratch,
    ) -> Result<()> {
        let (c_in, c_out) = (self.channels_in, self.channels_out);
        let (tiles_h, tiles_w) = (h.div_ceil(2), w.div_ceil(2));
        if image.len() != c_in * h * w || grad.len() != c_out * h * w {
            return Err(CnnError::Tensor(format!(
                "a Winograd kernel gradient of {c_in} -> {c_out} channels at {h}x{w} given {} \
                 and {} values",
                image.len(),
                grad.len()
            )));
        }
        let band_rows = band_rows(c_in + c_out, [tiles_h, tiles_w], MIN_GRADIENT_BAND_TILES);
        let pairs = c_out * c_in;
        for t0 in (0..tiles_h).step_by(band_rows.max(1)) {
            let rows = t0..(t0 + band_rows).min(tiles_h);
            let tiles = rows.len() * tiles_w;
            scratch.patches.resize(POSITIONS * c_in * tiles, 0.0);
            scratch.products.resize(POSITIONS * c_out * tiles, 0.0);
            transform_patches(image, c_in, [h, w], rows.clone(), scratch);
            transform_output_gradient(grad, c_out, [h, w], rows, scratch);
            for position in 0..POSITIONS {
                gemm_into(
                    &mut self.sum[position * pairs..][..pairs],
                    c_in,
                    MatRef::row_major(
                        &scratch.products[position * c_out * tiles..][..c_out * tiles],
                        c_out,
                        tiles,
                    ),
                    MatRef::row_major(
                        &scratch.patches[position * c_in * tiles..][..c_in * tiles],
                        c_in,
                        tiles,
                    )
                    .t(),
                    true,
                )?;
            }
        }
        Ok(())
    }

    /// `G^T x G` of each summed 4x4: the kernel gradient in burn's `[C_out, C_in, 3, 3]` order.
    pub(crate) fn finish(self) -> Vec<f32> {
        let pairs = self.channels_out * self.channels_in;
        let mut out = vec![0.0f32; pairs * 9];
        let g_t = |x: [f32; 4]| {
            [
                x[0] + 0.5 * (x[1] + x[2]),
                0.5 * (x[1] - x[2]),
                0.5 * (x[1] + x[2]) + x[3],
            ]
        };
        for (pair, g) in out.chunks_exact_mut(9).enumerate() {
            let x = |i: usize, j: usize| self.sum[(i * 4 + j) * pairs + pair];
            // G^T x: 3 rows of 4, then each row times G.
            let mut rows = [[0.0f32; 4]; 3];
            for j in 0..4 {
                let column = g_t([x(0, j), x(1, j), x(2, j), x(3, j)]);
                for (row, v) in rows.iter_mut().zip(column) {
                    row[j] = v;
                }
            }
            for (row, dst) in rows.iter().zip(g.chunks_exact_mut(3)) {
                dst.copy_from_slice(&g_t(*row));
            }
        }
        out
    }
}

/// `A z A^T` of every 2x2 block `z` of the output gradient (tile rows `tile_rows`, zero past the
/// image) into `scratch.products` (`[16, C_out, tiles]`): the gradient of each tile's
/// transformed product.
fn transform_output_gradient(
    grad: &[f32],
    channels: usize,
    [h, w]: [usize; 2],
    tile_rows: std::ops::Range<usize>,
    scratch: &mut WinogradScratch,
) {
    let tiles_w = w.div_ceil(2);
    let tiles = tile_rows.len() * tiles_w;
    // Per gradient row (2 of a tile row): its even and odd columns, then `z A^T` along the row
    // as 4 vectors of tiles_w.
    scratch.outputs.resize(2 * 2 * tiles_w + 8 * tiles_w, 0.0);
    let (halves, transformed) = scratch.outputs.split_at_mut(4 * tiles_w);
    let products = &mut scratch.products;
    for k in 0..channels {
        let plane = &grad[k * h * w..(k + 1) * h * w];
        for (band_row, ty) in tile_rows.clone().enumerate() {
            for r in 0..2 {
                let (even, odd) =
                    halves[r * 2 * tiles_w..(r + 1) * 2 * tiles_w].split_at_mut(tiles_w);
                let y = 2 * ty + r;
                let row = (y < h).then(|| &plane[y * w..(y + 1) * w]);
                deinterleave(row, even, odd);
                let [u0, u1, u2, u3] =
                    four_rows(&mut transformed[r * 4 * tiles_w..(r + 1) * 4 * tiles_w]);
                for tx in 0..tiles_w {
                    let (a, b) = (even[tx], odd[tx]);
                    u0[tx] = a;
                    u1[tx] = a + b;
                    u2[tx] = a - b;
                    u3[tx] = -b;
                }
            }
            // A across the two rows, into the 16 positions' rows of tiles.
            let base = band_row * tiles_w;
            for j in 0..4 {
                let p = &transformed[j * tiles_w..][..tiles_w];
                let q = &transformed[(4 + j) * tiles_w..][..tiles_w];
                for i in 0..4 {
                    let dst =
                        &mut products[((i * 4 + j) * channels + k) * tiles + base..][..tiles_w];
                    match i {
                        0 => dst.copy_from_slice(p),
                        1 => combine(dst, p, q, |a, b| a + b),
                        2 => combine(dst, p, q, |a, b| a - b),
                        _ => combine(dst, q, q, |b, _| -b),
                    }
                }
            }
        }
    }
}

/// `B^T d B` of every 4x4 patch of tile rows `tile_rows` of every channel into
/// `scratch.patches` (`[16, C_in, tiles]`). Tile `(ty, tx)` reads rows `2ty - 1 .. 2ty + 3` and
/// columns `2tx - 1 .. 2tx + 3`, zero outside the image.
///
/// Laid out for vectors: each of the four input rows is split into its even and odd columns
/// (of the zero-padded row), so both halves of the transform run along contiguous tiles.
fn transform_patches(
    image: &[f32],
    channels: usize,
    [h, w]: [usize; 2],
    tile_rows: std::ops::Range<usize>,
    scratch: &mut WinogradScratch,
) {
    let tiles_w = w.div_ceil(2);
    let tiles = tile_rows.len() * tiles_w;
    // Per input row r of a tile row: its even and odd padded columns (tiles_w + 1 each), then
    // the row transform `d B` as 4 vectors of tiles_w.
    let half = tiles_w + 1;
    scratch.rows.resize(4 * 2 * half + 16 * tiles_w, 0.0);
    let (halves, transformed) = scratch.rows.split_at_mut(8 * half);
    let patches = &mut scratch.patches;
    for c in 0..channels {
        let plane = &image[c * h * w..(c + 1) * h * w];
        for (band_row, ty) in tile_rows.clone().enumerate() {
            // Padded row `y` is kept in slot `y % 4`: a tile row's last two rows are the next
            // one's first two, so after the band's first tile row only two are new.
            let fresh = if band_row == 0 { 0..4 } else { 2..4 };
            for r in fresh {
                let slot = (2 * ty + r) % 4;
                let (even, odd) = halves[slot * 2 * half..(slot + 1) * 2 * half].split_at_mut(half);
                let row = (2 * ty + r)
                    .checked_sub(1)
                    .filter(|&y| y < h)
                    .map(|y| &plane[y * w..(y + 1) * w]);
                // Padded column p is image column p - 1: odd p are the even image columns, and
                // padded column 0 is zero.
                even[0] = 0.0;
                deinterleave(row, odd, &mut even[1..]);
                // d B along the row: columns (2tx, 2tx+1, 2tx+2, 2tx+3) = (e0, o0, e1, o1).
                let [u0, u1, u2, u3] =
                    four_rows(&mut transformed[slot * 4 * tiles_w..(slot + 1) * 4 * tiles_w]);
                for tx in 0..tiles_w {
                    let (e0, o0, e1, o1) = (even[tx], odd[tx], even[tx + 1], odd[tx + 1]);
                    u0[tx] = e0 - e1;
                    u1[tx] = o0 + e1;
                    u2[tx] = e1 - o0;
                    u3[tx] = o0 - o1;
                }
            }
            // B^T across the four rows, into the 16 positions' rows of tiles.
            let base = band_row * tiles_w;
            for j in 0..4 {
                let row =
                    |r: usize| &transformed[((2 * ty + r) % 4 * 4 + j) * tiles_w..][..tiles_w];
                let (a0, a1, a2, a3) = (row(0), row(1), row(2), row(3));
                for i in 0..4 {
                    let dst =
                        &mut patches[((i * 4 + j) * channels + c) * tiles + base..][..tiles_w];
                    match i {
                        0 => combine(dst, a0, a2, |p, q| p - q),
                        1 => combine(dst, a1, a2, |p, q| p + q),
                        2 => combine(dst, a2, a1, |p, q| p - q),
                        _ => combine(dst, a1, a3, |p, q| p - q),
                    }
                }
            }
        }
    }
}

/// `row`'s even columns into `even` and odd ones into `odd`, zero past the row (all zero
/// without one: a row of the padding).
///
/// By column pairs, which vectorise, and writing each value once: clearing the halves first
/// and gathering with `step_by(2)` took a tenth of a training epoch (short memsets included).
fn deinterleave(row: Option<&[f32]>, even: &mut [f32], odd: &mut [f32]) {
    let row = row.unwrap_or(&[]);
    let pairs = row.chunks_exact(2);
    let whole = pairs.len().min(even.len()).min(odd.len());
    for ((e, o), pair) in even[..whole].iter_mut().zip(&mut odd[..whole]).zip(pairs) {
        *e = pair[0];
        *o = pair[1];
    }
    // The row's last odd column, if any, then zeros.
    for (i, e) in even.iter_mut().enumerate().skip(whole) {
        *e = row.get(2 * i).copied().unwrap_or(0.0);
    }
    for (i, o) in odd.iter_mut().enumerate().skip(whole) {
        *o = row.get(2 * i + 1).copied().unwrap_or(0.0);
    }
}

/// `values` as four equal rows.
fn four_rows(values: &mut [f32]) -> [&mut [f32]; 4] {
    let n = values.len() / 4;
    let (a, rest) = values.split_at_mut(n);
    let (b, rest) = rest.split_at_mut(n);
    let (c, d) = rest.split_at_mut(n);
    [a, b, c, d]
}

fn combine(dst: &mut [f32], a: &[f32], b: &[f32], f: impl Fn(f32, f32) -> f32) {
    for ((d, p), q) in dst.iter_mut().zip(a).zip(b) {
        *d = f(*p, *q);
    }
}

/// `A^T m A` of every output channel's tile products (`[16, C_out, tiles]`) into the 2x2 outputs
/// they stand for, dropping those past the image's last row or column.
fn untransform_products(
    products: &[f32],
    channels: usize,
    [h, w]: [usize; 2],
    tile_rows: std::ops::Range<usize>,
    scratch: &mut Vec<f32>,
    out: &mut [f32],
) {
    let tiles_w = w.div_ceil(2);
    let tiles = tile_rows.len() * tiles_w;
    // A^T m: two rows of 4 vectors of tiles_w, then each row's two output columns.
    scratch.resize(10 * tiles_w, 0.0);
    let (s, columns) = scratch.split_at_mut(8 * tiles_w);
    let (even, odd) = columns.split_at_mut(tiles_w);
    for k in 0..channels {
        let plane = &mut out[k * h * w..(k + 1) * h * w];
        for (band_row, ty) in tile_rows.clone().enumerate() {
            let base = band_row * tiles_w;
            let m =
                |position: usize| &products[(position * channels + k) * tiles + base..][..tiles_w];
            for j in 0..4 {
                let (m0, m1, m2, m3) = (m(j), m(4 + j), m(8 + j), m(12 + j));
                let (s0, s1) = s[j * 2 * tiles_w..(j + 1) * 2 * tiles_w].split_at_mut(tiles_w);
                for tx in 0..tiles_w {
                    s0[tx] = m0[tx] + m1[tx] + m2[tx];
                    s1[tx] = m1[tx] - m2[tx] - m3[tx];
                }
            }
            for i in 0..2 {
                let y = 2 * ty + i;
                if y >= h {
                    continue;
                }
                let r = |j: usize| &s[(j * 2 + i) * tiles_w..][..tiles_w];
                let (r0, r1, r2, r3) = (r(0), r(1), r(2), r(3));
                for tx in 0..tiles_w {
                    even[tx] = r0[tx] + r1[tx] + r2[tx];
                    odd[tx] = r1[tx] - r2[tx] - r3[tx];
                }
                let row = &mut plane[y * w..(y + 1) * w];
                for (pair, (e, o)) in row.chunks_mut(2).zip(even.iter().zip(odd.iter())) {
                    pair[0] = *e;
                    if let Some(second) = pair.get_mut(1) {
                        *second = *o;
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
