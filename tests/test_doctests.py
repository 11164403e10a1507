"""The examples in the docstrings (numbers with their units) are run as tests."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["whatif", "whatif.formatting", "whatif.presentation", "whatif.views.controls",
           "whatif.views.scenarios", "whatif.model.strike", "whatif.model.production",
           "whatif.model.campaign", "whatif.model.cost", "whatif.model.system",
           "whatif.sampling"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    finder = doctest.DocTestFinder(exclude_empty=True)
    # numba ufuncs keep their Python function's docstring: collect those too
    tests = finder.find(module)
    for attr in vars(module).values():
        doc = getattr(attr, "__doc__", None)
        if doc and ">>>" in doc and type(attr).__name__ in ("ufunc", "DUFunc"):
            tests.append(doctest.DocTestParser().get_doctest(doc, vars(module), attr.__name__,
                                                            module.__file__, 0))
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    examples = 0
    for test in tests:
        examples += len(test.examples)
        runner.run(test)
    assert runner.failures == 0
    assert examples > 0
