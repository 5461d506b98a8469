"""The simulator's own Flask extensions (never the platform's), initialised in ``create_sim_app``."""

from flask_bootstrap import Bootstrap5
from flask_wtf import CSRFProtect

csrf = CSRFProtect()
bootstrap = Bootstrap5()
