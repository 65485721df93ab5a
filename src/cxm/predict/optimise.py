"""Maximum-likelihood search shared by the CLV models.

BFGS on log-parameters first: no bounds are needed (exp keeps them positive) and
it runs in numpy. L-BFGS-B with bounds is the fallback when BFGS does not converge
(degenerate data driving a parameter towards infinity, e.g. a shop whose customers
never drop out). Both run with BLAS on one thread: on the shared machine
scipy's L-BFGS-B core took 6 ms per iteration with spinning BLAS threads against
0.1 ms on one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.optimize import OptimizeResult, minimize
from threadpoolctl import threadpool_limits

Objective = Callable[..., tuple[float, npt.NDArray[np.float64]]]


def minimise(
    objective: Objective,
    start: npt.NDArray[np.float64],
    args: tuple[Any, ...],
    bounds: Sequence[tuple[float, float]],
) -> OptimizeResult:
    with threadpool_limits(1):
        result = minimize(
            objective, start, args=args, jac=True, method="BFGS", options={"gtol": 1e-6}
        )
        inside = all(lo <= v <= hi for v, (lo, hi) in zip(result.x, bounds, strict=True))
        if result.success and inside and np.isfinite(result.fun):
            return result
        return minimize(
            objective,
            np.clip(start, [b[0] for b in bounds], [b[1] for b in bounds]),
            args=args,
            jac=True,
            method="L-BFGS-B",
            bounds=list(bounds),
            options={"maxiter": 500, "gtol": 1e-9, "ftol": 1e-13},
        )
