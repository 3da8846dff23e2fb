"""loader.py isolates files and tells syntax errors apart; request.py checks requests."""
import pytest

from akg_harness import loader
from akg_harness.errors import RequestError, one_line
from akg_harness.request import parse_request
from conftest import fixture_path


def test_each_load_is_a_separate_module():
    first = loader.load_module(fixture_path("relu_task.py"), "task")
    second = loader.load_module(fixture_path("relu_task.py"), "task")
    assert first is not second and first.__name__ != second.__name__
    assert first.Model is not second.Model


def test_a_file_that_does_not_parse_raises_source_syntax_error():
    with pytest.raises(loader.SourceSyntaxError) as info:
        loader.load_module(fixture_path("relu_syntax.py"), "candidate")
    assert isinstance(info.value.cause, SyntaxError)


def test_an_exception_at_import_propagates_unchanged():
    with pytest.raises(RuntimeError, match="cannot set up the kernel"):
        loader.load_module(fixture_path("relu_import_raises.py"), "candidate")


def test_one_line_prefers_the_compiler_error_line():
    exc = RuntimeError("k.cc: In function 'void f()':\nk.cc:2:3: error: 'y' was not declared")
    assert one_line(exc) == "RuntimeError: k.cc:2:3: error: 'y' was not declared"


VERIFY = {"task_path": "/t.py", "candidate_path": "/c.py", "dsl": "cpp", "device": "cpu",
          "seed": 0, "trials": 1, "atol": None, "rtol": None}


def test_a_complete_request_passes_and_tolerances_may_be_omitted():
    request = parse_request("verify", {k: v for k, v in VERIFY.items()
                                       if k not in ("atol", "rtol")})
    assert request["atol"] is None and request["trials"] == 1


@pytest.mark.parametrize("change, needle", [
    ({"seed": None}, "'seed'"),
    ({"trials": 0}, "'trials' must be >= 1"),
    ({"trials": True}, "'trials' must be an integer"),
    ({"device": "tpu"}, "'device'"),
    ({"task_path": "relative.py"}, "absolute"),
    ({"atol": "tight"}, "'atol'"),
])
def test_bad_values_are_refused_with_the_key_named(change, needle):
    with pytest.raises(RequestError, match=needle):
        parse_request("verify", {**VERIFY, **change})


def test_a_missing_key_is_refused():
    raw = dict(VERIFY)
    del raw["candidate_path"]
    with pytest.raises(RequestError, match="missing key 'candidate_path'"):
        parse_request("verify", raw)


def _raise_from(outer: BaseException, inner: BaseException) -> BaseException:
    try:
        try:
            raise inner
        except BaseException as e:
            raise outer from e
    except BaseException as e:
        return e


def test_compile_errors_are_told_from_runtime_errors():
    from akg_harness.candidate import verdict_for
    from akg_harness.native import CompileError

    class InlinedCompileError(RuntimeError):
        pass
    InlinedCompileError.__name__ = "CompileError"  # as in a kernel file that inlines native.py
    triton_base = type("CompilationError", (Exception,), {"__module__": "triton.compiler.errors"})
    triton_sub = type("UnsupportedLanguageConstruct", (triton_base,), {})
    assert verdict_for(CompileError("g++ failed")) == "compile_error"
    assert verdict_for(InlinedCompileError("g++ failed")) == "compile_error"
    assert verdict_for(triton_sub("bad construct")) == "compile_error"
    assert verdict_for(_raise_from(RuntimeError("wrapped"), CompileError("x"))) == "compile_error"
    assert verdict_for(ValueError("bad value")) == "runtime_error"
    assert verdict_for(loader.SourceSyntaxError(SyntaxError("x"))) == "compile_error"
