"""Student code shared by the grading attack tests (strings a submission's cell holds)."""

# a second, private import of the package as "_privtc", registered in sys.modules (its relative
# imports must resolve), so the tripwires on the originals never see its functions called
PRIVATE_COPY = '''
import importlib as _il, importlib.util as _u, os as _os, sys as _sys
import tinyml_course as _tc
_dir = _os.path.dirname(_tc.__file__)
_spec = _u.spec_from_file_location("_privtc", _os.path.join(_dir, "__init__.py"),
                                   submodule_search_locations=[_dir])
_priv = _u.module_from_spec(_spec)
_sys.modules["_privtc"] = _priv
_spec.loader.exec_module(_priv)
'''
