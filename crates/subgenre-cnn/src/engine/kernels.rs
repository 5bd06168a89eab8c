//! Plain-slice kernels shared by the CPU inference path ([`super::cpu`]) and the CPU training
//! operations ([`super::ops`]): a 3x3 "same" convolution as neighbourhoods x kernel
//! products (and its scatter back for the input gradient), matrix products on the `gemm` crate,
//! and a fused ReLU + "valid" max pooling that remembers where each maximum came from.
//!
//! Images are `[channels, h, w]`, row major, one at a time; callers spread images over threads.

use crate::error::{CnnError, Result};

/// The 3x3 neighbourhoods of output rows `rows` of a `[channels, h, w]` image with zero
/// padding: row `c * 9 + dy * 3 + dx` of `cols` (`[channels * 9, rows.len() * w]`) holds
/// pixel `(y + dy - 1, x + dx - 1)` of channel `c` at column `(y - rows.start) * w + x`, the
/// weight's `[C_out, C_in, 3, 3]` order.
pub(crate) fn im2col_3x3(
    image: &[f32],
    channels: usize,
    [h, w]: [usize; 2],
    rows: std::ops::Range<usize>,
    cols: &mut [f32],
) {
    let hw = h * w;
    let n = rows.len() * w;
    for c in 0..channels {
        let plane = &image[c * hw..(c + 1) * hw];
        for dy in 0..3 {
            for dx in 0..3 {
                let row = &mut cols[(c * 9 + dy * 3 + dx) * n..][..n];
                for (y, out) in rows.clone().zip(row.chunks_mut(w)) {
                    let Some(sy) = (y + dy).checked_sub(1).filter(|&sy| sy < h) else {
                        out.fill(0.0);
                        continue;
                    };
                    let src = &plane[sy * w..(sy + 1) * w];
                    match dx {
                        0 => {
                            out[0] = 0.0;
                            out[1..].copy_from_slice(&src[..w - 1]);
                        }
                        1 => out.copy_from_slice(src),
                        _ => {
                            out[..w - 1].copy_from_slice(&src[1..]);
                            out[w - 1] = 0.0;
                        }
                    }
                }
            }
        }
    }
}

/// The adjoint of [`im2col_3x3`] over a whole image: adds each neighbourhood value of `cols`
/// (`[channels * 9, h * w]`) back onto the pixel it was read from, in `image` (`[channels, h,
/// w]`, zeroed by the caller or holding a sum to add to). Values read from the padding drop.
pub(crate) fn col2im_3x3_add(cols: &[f32], channels: usize, [h, w]: [usize; 2], image: &mut [f32]) {
    let hw = h * w;
    for c in 0..channels {
        let plane = &mut image[c * hw..(c + 1) * hw];
        for dy in 0..3 {
            for dx in 0..3 {
                let row = &cols[(c * 9 + dy * 3 + dx) * hw..][..hw];
                for (y, src) in row.chunks(w).enumerate() {
                    let Some(sy) = (y + dy).checked_sub(1).filter(|&sy| sy < h) else {
                        continue;
                    };
                    let dst = &mut plane[sy * w..(sy + 1) * w];
                    // Output x read pixel x + dx - 1.
                    let (dst, src) = match dx {
                        0 => (&mut dst[..w - 1], &src[1..]),
                        1 => (&mut dst[..], src),
                        _ => (&mut dst[1..], &src[..w - 1]),
                    };
                    for (d, s) in dst.iter_mut().zip(src) {
                        *d += s;
                    }
                }
            }
        }
    }
}

/// A read-only matrix view: element `(i, j)` at `data[i * row_stride + j * col_stride]`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct MatRef<'a> {
    data: &'a [f32],
    rows: usize,
    cols: usize,
    row_stride: usize,
    col_stride: usize,
}

impl<'a> MatRef<'a> {
    /// A row-major `[rows, cols]` matrix.
    pub(crate) fn row_major(data: &'a [f32], rows: usize, cols: usize) -> Self {
        Self {
            data,
            rows,
            cols,
            row_stride: cols,
            col_stride: 1,
        }
    }

    /// A `[rows, cols]` matrix with element `(i, j)` at `data[i * row_stride + j *
    /// col_stride]` (rows may overlap: an im2col view of a padded image needs no copy).
    pub(crate) fn strided(
        data: &'a [f32],
        [rows, cols]: [usize; 2],
        [row_stride, col_stride]: [usize; 2],
    ) -> Self {
        Self {
            data,
            rows,
            cols,
            row_stride,
            col_stride,
        }
    }

    /// The same values read as the transposed matrix (no copy).
    pub(crate) fn t(self) -> Self {
        Self {
            rows: self.cols,
            cols: self.rows,
            row_stride: self.col_stride,
            col_stride: self.row_stride,
            ..self
        }
    }

    fn fits(&self) -> bool {
        self.rows == 0
            || self.cols == 0
            || (self.rows - 1) * self.row_stride + (self.cols - 1) * self.col_stride
                < self.data.len()
    }
}

/// `dst = lhs x rhs` (or `dst += lhs x rhs` with `accumulate`), `dst` `[m, n]` with rows
/// `dst_row_stride` apart, on the calling thread.
pub(crate) fn gemm_into(
    dst: &mut [f32],
    dst_row_stride: usize,
    lhs: MatRef<'_>,
    rhs: MatRef<'_>,
    accumulate: bool,
) -> Result<()> {
    let (m, k, n) = (lhs.rows, lhs.cols, rhs.cols);
    let dst_needed = m.saturating_sub(1) * dst_row_stride + n;
    if rhs.rows != k || !lhs.fits() || !rhs.fits() || dst_row_stride < n || dst.len() < dst_needed {
        return Err(CnnError::Tensor(format!(
            "matrix product of [{m}, {k}] and [{}, {n}] given {}, {} and {} values (row \
             stride {dst_row_stride})",
            rhs.rows,
            lhs.data.len(),
            rhs.data.len(),
            dst.len()
        )));
    }
    if m == 0 || n == 0 {
        return Ok(());
    }
    if k == 0 {
        if !accumulate {
            for row in dst.chunks_mut(dst_row_stride).take(m) {
                row[..n].fill(0.0);
            }
        }
        return Ok(());
    }
    let s = |v: usize| v as isize;
    // SAFETY: every element the strides of `lhs` and `rhs` address lies inside their slices
    // (`fits`), `dst` holds the [m, n] matrix with rows `dst_row_stride` apart (checked above),
    // and `dst` does not alias the inputs (&mut).
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst.as_mut_ptr(),
            1,
            s(dst_row_stride),
            accumulate,
            lhs.data.as_ptr(),
            s(lhs.col_stride),
            s(lhs.row_stride),
            rhs.data.as_ptr(),
            s(rhs.col_stride),
            s(rhs.row_stride),
            if accumulate { 1.0 } else { 0.0 },
            1.0,
            false,
            false,
            false,
            gemm::Parallelism::None,
        );
    }
    Ok(())
}

/// `dst = lhs x rhs` for row-major `lhs` `[m, k]` and `rhs` `[k, n]`, `dst` `[m, n]` with
/// rows `dst_row_stride` apart.
pub(crate) fn matmul(
    dst: &mut [f32],
    dst_row_stride: usize,
    lhs: &[f32],
    rhs: &[f32],
    [m, k, n]: [usize; 3],
) -> Result<()> {
    if lhs.len() != m * k || rhs.len() != k * n {
        return Err(CnnError::Tensor(format!(
            "matrix product of [{m}, {k}] and [{k}, {n}] given {} and {} values",
            lhs.len(),
            rhs.len()
        )));
    }
    gemm_into(
        dst,
        dst_row_stride,
        MatRef::row_major(lhs, m, k),
        MatRef::row_major(rhs, k, n),
        false,
    )
}

/// Columns per block of [`add_row_dots`] (a multiple of 8): a block's rows of `a` and `b` (9
/// and 32 of them in the first conv block's kernel gradient, 164 KB) stay in cache while every
/// pair of them is summed, where whole rows (each of `b`'s 64 KB) were read from memory again
/// for every row of `a`.
const DOT_BLOCK: usize = 1024;

/// `out[i * b_rows + j] += <a_i, b_j>` for the rows of row-major `a` `[a_rows, n]` and `b`
/// `[b_rows, n]`: the product `a x b^T` when both share their long inner dimension. gemm packs
/// such operands element by element; for a few output values (the first block's kernel
/// gradient, 32 x 9 values over 128 x 128 pixels) plain dot products are several times faster.
///
/// Each dot product runs in eight independent lanes (one vector register), summed at the end;
/// the lanes carry over from block to block, so the sums and their order are those of one pass
/// over whole rows.
pub(crate) fn add_row_dots(a: &[f32], b: &[f32], n: usize, out: &mut [f32]) {
    let n = n.max(1);
    let b_rows = b.len() / n;
    let pairs = (a.len() / n) * b_rows;
    let mut lanes = vec![[0.0f32; 8]; pairs];
    let whole = n - n % 8;
    for start in (0..whole).step_by(DOT_BLOCK) {
        let end = (start + DOT_BLOCK).min(whole);
        for (a_row, pair_lanes) in a.chunks_exact(n).zip(lanes.chunks_mut(b_rows.max(1))) {
            let a_block = &a_row[start..end];
            for (b_row, acc) in b.chunks_exact(n).zip(pair_lanes.iter_mut()) {
                for (x, y) in a_block
                    .chunks_exact(8)
                    .zip(b_row[start..end].chunks_exact(8))
                {
                    for l in 0..8 {
                        acc[l] += x[l] * y[l];
                    }
                }
            }
        }
    }
    let sums = a
        .chunks_exact(n)
        .flat_map(|a_row| b.chunks_exact(n).map(move |b_row| (a_row, b_row)));
    for ((o, acc), (a_row, b_row)) in out.iter_mut().zip(&lanes).zip(sums) {
        let tail: f32 = a_row[whole..]
            .iter()
            .zip(&b_row[whole..])
            .map(|(x, y)| x * y)
            .sum();
        *o += acc.iter().sum::<f32>() + tail;
    }
}

/// `sums[c] +=` the sum of plane `c` of `planes` (`[C, plane]`), as a bias's gradient is. In
/// eight independent lanes: a plain `sum` is one chain of dependent additions, each waiting for
/// the one before (a tenth of a cnn_drop_first training step).
pub(crate) fn add_plane_sums(sums: &mut [f32], planes: &[f32], plane: usize) {
    for (sum, values) in sums.iter_mut().zip(planes.chunks(plane.max(1))) {
        let mut lanes = [0.0f32; 8];
        let chunks = values.chunks_exact(8);
        let tail: f32 = chunks.remainder().iter().sum();
        for chunk in chunks {
            for l in 0..8 {
                lanes[l] += chunk[l];
            }
        }
        *sum += lanes.iter().sum::<f32>() + tail;
    }
}

/// Output size of a "valid" pooling (`None` when the input is smaller than the kernel).
pub(crate) fn pooled(size: usize, kernel: usize, stride: usize) -> Option<usize> {
    (size >= kernel && stride > 0 && kernel > 0).then(|| (size - kernel) / stride + 1)
}

/// A pooling window and step, `[H, W]` each.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Pool {
    pub(crate) kernel: [usize; 2],
    pub(crate) stride: [usize; 2],
}

/// `max_pool(relu(plane))` of one `[h, w]` plane into `out` (`[ph, pw]`), and for each
/// output the index in the plane its value came from (`u32::MAX` where the ReLU cut it to 0,
/// so no gradient flows back). The first maximum in row-major window order wins a tie.
pub(crate) fn relu_max_pool_plane(
    plane: &[f32],
    [_h, w]: [usize; 2],
    pool: Pool,
    out: &mut [f32],
    from: &mut [u32],
) {
    let [kh, kw] = pool.kernel;
    let [sh, sw] = pool.stride;
    let pw = pooled(w, kw, sw).unwrap_or(0).max(1);
    if pool.kernel == [2, 2] && pool.stride == [2, 2] {
        // Every network's usual pool: two input rows per output row, no window arithmetic.
        let rows = out.chunks_mut(pw).zip(from.chunks_mut(pw));
        for (py, (out, from)) in rows.enumerate() {
            let (r0, r1) = (2 * py * w, (2 * py + 1) * w);
            let (top, bottom) = (&plane[r0..r0 + 2 * pw], &plane[r1..r1 + 2 * pw]);
            let windows = top.chunks_exact(2).zip(bottom.chunks_exact(2));
            let outputs = out.iter_mut().zip(from.iter_mut());
            for (px, ((o, f), (t, b))) in outputs.zip(windows).enumerate() {
                // The first of the largest, as a scan in window order keeping each strictly
                // greater value finds; as selects, not branches, so the loop vectorises.
                let (top_best, top_at) = if t[1] > t[0] { (t[1], 1) } else { (t[0], 0) };
                let (bottom_best, bottom_at) = if b[1] > b[0] { (b[1], 1) } else { (b[0], 0) };
                let (best, at) = if bottom_best > top_best {
                    (bottom_best, r1 + 2 * px + bottom_at)
                } else {
                    (top_best, r0 + 2 * px + top_at)
                };
                (*o, *f) = if best > 0.0 {
                    (best, at as u32)
                } else {
                    (0.0, u32::MAX)
                };
            }
        }
        return;
    }
    for (i, (o, f)) in out.iter_mut().zip(from.iter_mut()).enumerate() {
        let (py, px) = (i / pw, i % pw);
        let (mut best, mut at) = (0.0f32, u32::MAX);
        for y in py * sh..py * sh + kh {
            let row = y * w;
            for x in px * sw..px * sw + kw {
                let v = plane[row + x];
                // `>` keeps the first maximum and never picks a value <= 0 (the ReLU's).
                if v > best {
                    (best, at) = (v, (row + x) as u32);
                }
            }
        }
        (*o, *f) = (best, at);
    }
}

/// The gradient of [`relu_max_pool_plane`]: each output's gradient added onto the plane
/// position its value came from (`grad_plane` zeroed by the caller).
pub(crate) fn relu_max_pool_plane_backward(grad_out: &[f32], from: &[u32], grad_plane: &mut [f32]) {
    for (g, &f) in grad_out.iter().zip(from) {
        if let Some(slot) = grad_plane.get_mut(f as usize) {
            *slot += g;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pattern(n: usize, seed: usize) -> Vec<f32> {
        (0..n)
            .map(|i| ((i * 7919 + seed * 104_729) % 1000) as f32 / 500.0 - 1.0)
            .collect()
    }

    /// `<im2col(x), c> == <x, col2im(c)>` for every x and c: the scatter is the gather's
    /// adjoint (what the input gradient needs), including the padded borders.
    #[test]
    fn col2im_is_the_adjoint_of_im2col() {
        for (channels, h, w) in [(1, 5, 7), (3, 4, 4), (2, 1, 3), (2, 6, 1)] {
            let x = pattern(channels * h * w, 1);
            let c = pattern(channels * 9 * h * w, 2);
            let mut cols = vec![0.0; c.len()];
            im2col_3x3(&x, channels, [h, w], 0..h, &mut cols);
            let mut back = vec![0.0; x.len()];
            col2im_3x3_add(&c, channels, [h, w], &mut back);
            let lhs: f64 = cols.iter().zip(&c).map(|(a, b)| (a * b) as f64).sum();
            let rhs: f64 = x.iter().zip(&back).map(|(a, b)| (a * b) as f64).sum();
            assert!(
                (lhs - rhs).abs() < 1e-3,
                "{channels}x{h}x{w}: {lhs} vs {rhs}"
            );
        }
    }

    #[test]
    fn a_transposed_view_multiplies_as_its_transpose() {
        // [2, 3] x [3, 2] with the rhs given as its [2, 3] transpose.
        let a = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        let bt = [1.0, 0.0, -1.0, 2.0, 1.0, 0.5];
        let mut out = vec![10.0; 4];
        gemm_into(
            &mut out,
            2,
            MatRef::row_major(&a, 2, 3),
            MatRef::row_major(&bt, 2, 3).t(),
            true,
        )
        .expect("product");
        // Row 0: [1*1 + 2*0 + 3*-1, 1*2 + 2*1 + 3*0.5] = [-2, 5.5]; row 1: [-2, 16].
        assert_eq!(out, vec![8.0, 15.5, 8.0, 26.0]);
        let err = gemm_into(
            &mut out,
            2,
            MatRef::row_major(&a, 2, 3),
            MatRef::row_major(&a, 2, 3),
            false,
        )
        .expect_err("inner sizes differ");
        assert!(err.to_string().contains("[2, 3]"), "{err}");
    }

    #[test]
    fn row_dots_are_the_product_with_a_transpose() {
        let (a, b) = (pattern(3 * 19, 3), pattern(2 * 19, 4));
        let mut dots = vec![1.0; 6];
        add_row_dots(&a, &b, 19, &mut dots);
        let mut product = vec![1.0; 6];
        gemm_into(
            &mut product,
            2,
            MatRef::row_major(&a, 3, 19),
            MatRef::row_major(&b, 2, 19).t(),
            true,
        )
        .expect("product");
        for (d, p) in dots.iter().zip(&product) {
            assert!((d - p).abs() < 1e-5, "{d} vs {p}");
        }
    }

    /// Blocked, the dot products keep the sums and their order of one pass over whole rows:
    /// equal to the bit to plain eight-lane dot products, over several blocks and a ragged end.
    #[test]
    fn blocked_row_dots_equal_whole_row_dots() {
        let n = 2 * DOT_BLOCK + 13;
        let (a, b) = (pattern(3 * n, 5), pattern(4 * n, 6));
        let mut dots = vec![0.5; 12];
        add_row_dots(&a, &b, n, &mut dots);
        for (k, d) in dots.iter().enumerate() {
            let (a_row, b_row) = (&a[k / 4 * n..][..n], &b[k % 4 * n..][..n]);
            let mut lanes = [0.0f32; 8];
            for (x, y) in a_row.chunks_exact(8).zip(b_row.chunks_exact(8)) {
                for l in 0..8 {
                    lanes[l] += x[l] * y[l];
                }
            }
            let ragged = n - n % 8;
            let tail: f32 = a_row[ragged..]
                .iter()
                .zip(&b_row[ragged..])
                .map(|(x, y)| x * y)
                .sum();
            let whole = lanes.iter().sum::<f32>() + tail;
            assert_eq!(d.to_bits(), (0.5 + whole).to_bits(), "pair {k}");
        }
    }

    #[test]
    fn plane_sums_add_each_planes_sum() {
        let planes = pattern(3 * 101, 7);
        let mut sums = vec![1.0f32, 2.0, 3.0];
        add_plane_sums(&mut sums, &planes, 101);
        for (c, s) in sums.iter().enumerate() {
            let exact: f64 = planes[c * 101..][..101].iter().map(|&v| f64::from(v)).sum();
            assert!(
                (f64::from(*s) - (c as f64 + 1.0 + exact)).abs() < 1e-4,
                "{s} vs {exact}"
            );
        }
    }

    /// The 2x2 / 2 fast path gives each window's maximum and its source, on an odd plane (the
    /// last row and column dropped), checked against maxima computed here.
    #[test]
    fn the_usual_pool_gives_each_window_s_maximum_and_source() {
        let plane = pattern(7 * 9, 5);
        let pool = Pool {
            kernel: [2, 2],
            stride: [2, 2],
        };
        let (mut fast, mut fast_from) = (vec![0.0; 12], vec![0; 12]);
        relu_max_pool_plane(&plane, [7, 9], pool, &mut fast, &mut fast_from);
        for (i, (&v, &f)) in fast.iter().zip(&fast_from).enumerate() {
            let (py, px) = (i / 4, i % 4);
            let window = [
                (2 * py) * 9 + 2 * px,
                (2 * py) * 9 + 2 * px + 1,
                (2 * py + 1) * 9 + 2 * px,
                (2 * py + 1) * 9 + 2 * px + 1,
            ];
            let best = window.iter().map(|&j| plane[j]).fold(0.0f32, f32::max);
            assert_eq!(v, best, "output {i}");
            if best > 0.0 {
                assert_eq!(plane[f as usize], best, "source of output {i}");
                assert!(window.contains(&(f as usize)), "output {i} from its window");
            } else {
                assert_eq!(f, u32::MAX);
            }
        }
    }

    #[test]
    fn pooling_remembers_the_first_positive_maximum() {
        // 3x4 plane, 2x2 pool, stride 1 (overlapping windows): 2x3 outputs.
        let plane = [
            -1.0, 2.0, 2.0, 0.0, 3.0, -5.0, 1.0, -2.0, -1.0, -1.0, -1.0, -3.0,
        ];
        let pool = Pool {
            kernel: [2, 2],
            stride: [1, 1],
        };
        let (mut out, mut from) = (vec![0.0; 6], vec![0; 6]);
        relu_max_pool_plane(&plane, [3, 4], pool, &mut out, &mut from);
        assert_eq!(out, vec![3.0, 2.0, 2.0, 3.0, 1.0, 1.0]);
        assert_eq!(from, vec![4, 1, 2, 4, 6, 6]);
        let mut grad = vec![0.0; 12];
        relu_max_pool_plane_backward(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &from, &mut grad);
        assert_eq!(grad[4], 5.0);
        assert_eq!(grad[6], 11.0);
        // A window of values <= 0 gives 0 and passes no gradient.
        let (mut out, mut from) = (vec![9.0; 1], vec![0; 1]);
        let pool = Pool {
            kernel: [2, 2],
            stride: [2, 2],
        };
        relu_max_pool_plane(&[-1.0, 0.0, -2.0, -3.0], [2, 2], pool, &mut out, &mut from);
        assert_eq!((out[0], from[0]), (0.0, u32::MAX));
    }
}
