"""Where each entry of the op table is smooth, as hypothesis strategies (``op.domain``).

Points stay away from a kink or a boundary, so that central differences are exact to the
tests' tolerances.
"""

from hypothesis import strategies as st

DOMAINS = {
    "real": st.floats(-3.0, 3.0),
    "positive": st.floats(0.1, 3.0),
    "nonzero": st.one_of(st.floats(-3.0, -0.05), st.floats(0.05, 3.0)),
}
