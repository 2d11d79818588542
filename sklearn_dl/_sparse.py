"""Sparse X (CSR/CSC, e.g. TF-IDF) without densifying the whole matrix.

:class:`SparseRows` holds the validated SciPy matrix (as CSR, whose row
slices are cheap) and offers the three operations the batch iterator and
``predict`` use on a tensor: ``len``, a row gather (``index_select``) and a
row slice. Each returns a *dense* tensor of just those rows, so memory stays
near the size of the sparse data plus one dense batch. Full-batch solvers
('lbfgs') see the whole matrix as one batch, which densifies it (once per
loss evaluation): use 'adam' or 'sgd' for data too big for that.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import torch


#: Dense values (float32 count) one predict chunk of sparse rows may take.
_DENSE_BUDGET = 2**24


class SparseRows:
    """Rows of a SciPy sparse matrix, densified to torch tensors on demand."""

    def __init__(self, X, device, dtype):
        self.X = sp.csr_matrix(X) if not sp.isspmatrix_csr(X) else X
        self.device = torch.device(device)
        self.dtype = dtype
        self.shape = self.X.shape
        self.ndim = 2

    def __len__(self):
        return self.shape[0]

    def _dense(self, rows):
        np_dtype = np.float64 if self.dtype == torch.float64 else np.float32
        return torch.from_numpy(rows.toarray().astype(np_dtype, copy=False)).to(self.device)

    def index_select(self, dim, index):
        assert dim == 0
        return self._dense(self.X[np.asarray(index.cpu())])

    def __getitem__(self, key):
        if isinstance(key, slice):
            return self._dense(self.X[key])
        if isinstance(key, torch.Tensor):  # a row subset stays sparse (the validation split)
            return SparseRows(self.X[np.asarray(key.cpu())], self.device, self.dtype)
        raise TypeError(f"SparseRows cannot be indexed with {type(key).__name__}")

    def chunk_rows(self, most):
        """Rows per predict chunk: at most ``most``, and ~64 MiB of dense values."""
        return int(max(64, min(most, _DENSE_BUDGET // max(1, self.shape[1]))))

    def dense(self):
        """The whole matrix as one dense tensor (a full batch)."""
        return self._dense(self.X)


def dense_batch(X):
    """A batch the module can take: ``SparseRows`` densified, tensors unchanged."""
    return X.dense() if isinstance(X, SparseRows) else X
