"""erf, the normal CDF Φ and the exact GELU z Φ(z), PyTorch's default ``gelu``. Skip on a first reading.

numpy has no erf and the engine imports numpy only, so erf is computed here, vectorised, in float64:

- |x| < 1: the series erf(x) = (2x/√π) e^{-x²} Σ_n (2x²)^n / (1·3·5···(2n+1)), whose terms are all
  positive (no cancellation); 30 terms reach float64's precision for |x| < 1.
- |x| ≥ 1: erfc(x) = e^{-x²}/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))), the continued fraction,
  evaluated backwards from a depth that shrinks as x grows (200 near 1, 40 beyond 2.5); erf = 1 - erfc.
- e^{-x²} is computed as e^{-h²} e^{-(x-h)(x+h)} with h = x rounded to float32 (h² is exact), so the
  rounding of x² is not magnified by the exponential for large x.

Measured against Python's ``math.erf``/``math.erfc`` on a grid (tests/autograd/test_gelu_and_erf.py):
erf's relative error stays below 1e-15 and erfc's below 1e-14. Float32 (and float16) inputs need
less: fewer terms (``FLOAT32_WORK``, relative error < 1e-8), computed in float64, rounded once at the end.
"""

import numpy as np

from .ops import Op, float_input

SQRT_PI = np.sqrt(np.pi)
SQRT_2 = np.sqrt(2.0)
SQRT_2PI = np.sqrt(2 * np.pi)
# (series terms, ((smallest x, depth) of each band of the continued fraction)), measured on a grid:
FLOAT64_WORK = (30, ((1.0, 200), (1.5, 90), (2.5, 40)))
FLOAT32_WORK = (12, ((1.0, 64), (2.5, 24)))  # relative error < 1e-8, under float32 rounding (6e-8)


def _exp_minus_square(x):
    """e^{-x²} for x >= 0 without magnifying the rounding of x²: e^{-h²} e^{-(x-h)(x+h)}, h² exact."""
    x = np.minimum(x, 40.0)  # e^{-1600} is 0 already; keeps inf out of (x - h)
    head = x.astype(np.float32).astype(np.float64)
    return np.exp(-head * head) * np.exp(-(x - head) * (x + head))


def _erf_series(x, terms):
    """erf(x) for |x| < 1 by the all-positive series."""
    two_x2 = 2 * x * x
    term, total = np.ones_like(x), np.ones_like(x)
    for n in range(1, terms):
        term = term * two_x2 / (2 * n + 1)
        total = total + term
    return (2 / SQRT_PI) * x * _exp_minus_square(np.abs(x)) * total


def _erfc_fraction(x, bands):
    """erfc(x) for x >= 1 (or NaN) by the continued fraction, each band of x at the depth it needs."""
    out = np.empty_like(x)
    done = np.zeros(x.shape, bool)
    for i, (_, depth) in enumerate(bands):
        band = ~done if i == len(bands) - 1 else ~done & (x < bands[i + 1][0])  # NaN: the last band, stays NaN
        done |= band
        xb = x[band]
        tail = xb.copy()
        for k in range(depth, 0, -1):
            tail = xb + (k / 2) / tail
        out[band] = _exp_minus_square(xb) / (SQRT_PI * tail)
    return out


def _erf_and_erfc(x, precise=True):
    """(erf(x), erfc(x)) in float64, each computed where it has no cancellation; ``precise``: to float64's
    precision, else to float32's (fewer terms, for float32 and float16 inputs)."""
    terms, bands = FLOAT64_WORK if precise else FLOAT32_WORK
    x = np.asarray(x, dtype=np.float64)
    a = np.abs(x)
    erf_abs, erfc_abs = np.empty_like(x), np.empty_like(x)
    small = a < 1
    erf_abs[small] = _erf_series(a[small], terms)
    erfc_abs[small] = 1 - erf_abs[small]
    large = ~small  # NaN lands here and stays NaN
    erfc_abs[large] = _erfc_fraction(a[large], bands)
    erf_abs[large] = 1 - erfc_abs[large]
    negative = x < 0
    return np.where(negative, -erf_abs, erf_abs), np.where(negative, 2 - erfc_abs, erfc_abs)


def erf(x):
    """erf(x) = (2/√π) ∫_0^x e^{-t²} dt elementwise, in ``x``'s float dtype (float64 for other input)."""
    x = np.asarray(x)
    return _erf_and_erfc(x, _precise(x))[0].astype(_float_dtype(x), copy=False)


def erfc(x):
    """erfc(x) = 1 - erf(x), accurate where erf(x) is close to 1."""
    x = np.asarray(x)
    return _erf_and_erfc(x, _precise(x))[1].astype(_float_dtype(x), copy=False)


def normal_cdf(z):
    """Φ(z) = ½ erfc(-z/√2), the standard normal CDF, accurate in both tails."""
    z = np.asarray(z)
    tail = _erf_and_erfc(-np.asarray(z, np.float64) / SQRT_2, _precise(z))[1]
    return (0.5 * tail).astype(_float_dtype(z), copy=False)


def _precise(x):
    return x.dtype.kind != "f" or x.dtype.itemsize >= 8


def _float_dtype(x):
    return x.dtype if x.dtype.kind == "f" else np.float64


def normal_pdf(z):
    """φ(z) = e^{-z²/2} / √(2π); on Tensors too (numpy's exp reaches Tensor.exp)."""
    return np.exp(-0.5 * z * z) / SQRT_2PI


# ---------------------------------------------------------------- the ops

class Erf(Op):
    name, rule, symbols = "erf", "dz = G ⊙ (2/√π) e^{-z²}", ("z",)
    __slots__ = ("z",)  # what forward keeps for backward

    def forward(self, z):
        self.z = float_input(z)
        return erf(self.z)

    def backward(self, g):
        """d erf(z)/dz = (2/√π) e^{-z²}."""
        return (g * (np.exp(-self.z * self.z) * (2 / SQRT_PI)),)


class NormalCDF(Op):
    name, rule, symbols = "normal_cdf", "dz = G ⊙ φ(z), φ(z) = e^{-z²/2}/√(2π)", ("z",)
    __slots__ = ("z",)

    def forward(self, z):
        self.z = float_input(z)
        return normal_cdf(self.z)

    def backward(self, g):
        """dΦ(z)/dz = φ(z), the standard normal density."""
        return (g * normal_pdf(self.z),)


class GELUExact(Op):
    """GELU(z) = z Φ(z) with the exact normal CDF: PyTorch's default ``gelu`` (approximate="none")."""

    name, rule, symbols = "gelu", "dz = G ⊙ (Φ(z) + z φ(z))", ("z",)
    __slots__ = ("z", "cdf")

    def forward(self, z):
        self.z = float_input(z)
        self.cdf = normal_cdf(self.z)
        with np.errstate(invalid="ignore"):  # -inf · Φ(-inf) = -inf · 0 is NaN, as PyTorch's
            return self.z * self.cdf

    def saved_from(self, z, out):
        """Under create_graph (higher_order.py): the saved Φ(z) as a Tensor, whose op differentiates to φ."""
        return {"cdf": z.normal_cdf()}

    def backward(self, g):
        """d(z Φ(z))/dz = Φ(z) + z φ(z)."""
        return (g * (self.cdf + self.z * normal_pdf(self.z)),)
