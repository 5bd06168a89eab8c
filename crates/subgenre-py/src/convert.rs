//! Arrays across the boundary. The DSP works on ndarray 0.16 and rust-numpy speaks ndarray
//! 0.17, so results cross as their buffer (moved, not copied) and a shape.

use ndarray::{Array, Array2, Dimension};
use numpy::{Element, PyArray, PyArray1, PyArray2, PyArrayDyn, PyArrayLike2, PyArrayMethods};
use pyo3::prelude::*;

/// The array's elements in C order, without a copy when it is already laid out so.
fn into_c_order<T: Clone, D: Dimension>(a: Array<T, D>) -> Vec<T> {
    let a = if a.is_standard_layout() {
        a
    } else {
        a.as_standard_layout().into_owned()
    };
    let n = a.len();
    match a.into_raw_vec_and_offset() {
        (v, Some(0) | None) if v.len() == n => v,
        (v, offset) => {
            let start = offset.unwrap_or(0);
            v[start..start + n].to_vec()
        }
    }
}

pub(crate) fn reshaped<'py, T: Element, const N: usize>(
    py: Python<'py>,
    data: Vec<T>,
    shape: [usize; N],
) -> PyResult<Bound<'py, PyArray<T, numpy::ndarray::Dim<[usize; N]>>>>
where
    [usize; N]: numpy::ndarray::IntoDimension<Dim = numpy::ndarray::Dim<[usize; N]>>,
    numpy::ndarray::Dim<[usize; N]>: numpy::ndarray::Dimension,
{
    PyArray1::from_vec(py, data).reshape(shape)
}

pub fn numpy_1d<T: Element + Clone>(
    py: Python<'_>,
    a: ndarray::Array1<T>,
) -> PyResult<Bound<'_, PyArray1<T>>> {
    Ok(PyArray1::from_vec(py, into_c_order(a)))
}

pub fn numpy_2d<T: Element + Clone>(
    py: Python<'_>,
    a: Array2<T>,
) -> PyResult<Bound<'_, PyArray2<T>>> {
    let (r, c) = a.dim();
    reshaped(py, into_c_order(a), [r, c])
}

pub fn numpy_dyn<T: Element + Clone>(
    py: Python<'_>,
    a: ndarray::ArrayD<T>,
) -> PyResult<Bound<'_, PyArrayDyn<T>>> {
    let shape = a.shape().to_vec();
    PyArray1::from_vec(py, into_c_order(a)).reshape(shape)
}

/// A 2-D numpy array (any layout) copied into an owned ndarray 0.16 matrix.
pub fn owned_2d(s: &PyArrayLike2<'_, f32, numpy::AllowTypeChange>) -> Array2<f32> {
    let view = s.as_array();
    let dim = view.dim();
    Array2::from_shape_fn(dim, |(i, j)| view[[i, j]])
}
