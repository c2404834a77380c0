# SPDX-License-Identifier: Apache-2.0
"""sandbench's local kernel: runs notebook cells for the local backend.

The C++ backend embeds this file at build time, compiles it once per backend with the backend's
interpreter, and starts each kernel as `python -I -c <bootstrap> <config json>`: the bootstrap
reads that code object (marshal data, one frame) from fd 3 and runs it. Stdin is /dev/null,
stdout and stderr are pipes the backend drains. Requests arrive on fd 3 and replies leave on
fd 4 as frames: a 4-byte big-endian length, then that many bytes of UTF-8 JSON. Keeping the
protocol off stdin/stdout means nothing the user's code prints, reads or closes can forge or
corrupt a frame.

Frames: the kernel sends {"op": "hello", ...} once it is ready; the backend then sends
{"op": "execute", "id": n, "code": ...} (answered by one reply frame echoing the id) or
{"op": "shutdown"} (answered by exiting). End of file on fd 3 also ends the kernel, so a crashed
backend leaves no kernel behind.

Cold start is measured against `python3 -c pass`, so start-up imports only modules the interpreter
has already loaded or C built-ins; the json package (which pulls in `re`) and `traceback` would
cost several milliseconds and are replaced by the C accelerator `_json` or imported on first need.
Stdlib only: the kernel must run with whatever interpreter the user points the backend at.
"""

import builtins
import os
import sys
from time import perf_counter_ns

_REQUEST_FD = 3
_REPLY_FD = 4
_PYCF_ONLY_AST = 0x400  # ast.PyCF_ONLY_AST, without importing the ast package
_KEPT_SOURCES = 1000  # cells whose source tracebacks can quote; a benchmark runs millions
_DRIVER_GLOBALS = globals()
_PID = os.getpid()


def _make_json():
    """Returns (loads, dumps) built on the C accelerator, falling back to the json package."""
    try:
        from _json import encode_basestring, make_encoder, make_scanner

        class _ScannerContext:  # the attributes json.JSONDecoder hands to the C scanner
            strict = True
            object_hook = None
            object_pairs_hook = None
            parse_float = float
            parse_int = int
            parse_constant = float  # 'NaN', 'Infinity', '-Infinity'
            memo = {}

        scan = make_scanner(_ScannerContext())

        def _no_default(value):
            raise TypeError(type(value).__name__ + " is not JSON serializable")

        def loads(text):
            return scan(text, 0)[0]

        def make():
            return make_encoder({}, _no_default, encode_basestring, None, ":", ",", False, False,
                                False)

        encoder = [make()]

        def dumps(value):
            try:
                return "".join(encoder[0](value, 0))
            except BaseException:
                encoder[0] = make()  # a failed encoding leaves entries in the marker dict
                raise

        if dumps({"a": [1, "\u00e9", None]}) == '{"a":[1,"\u00e9",null]}' and loads('[1]') == [1]:
            return loads, dumps
    except Exception:  # an interpreter without these private helpers: use the public package
        pass
    import json

    def dumps(value):
        return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))

    return json.loads, dumps


_loads, _dumps = _make_json()


class _Channel:
    """The framed protocol over the two dedicated pipes."""

    def __init__(self):
        self._inbox = bytearray()

    def receive(self):
        """Returns the next request, or None at end of file."""
        inbox = self._inbox
        if not inbox:
            chunk = os.read(_REQUEST_FD, 65536)
            if not chunk:
                return None
            if len(chunk) >= 4 and int.from_bytes(chunk[:4], "big") == len(chunk) - 4:
                return _loads(chunk[4:].decode("utf-8"))  # the usual case: one whole frame
            inbox += chunk
        while len(inbox) < 4:
            if not self._fill(4 - len(inbox)):
                return None
        size = int.from_bytes(inbox[:4], "big")
        while len(inbox) < 4 + size:
            if not self._fill(4 + size - len(inbox)):
                return None
        body = bytes(inbox[4:4 + size])
        del inbox[:4 + size]
        return _loads(body.decode("utf-8"))

    def _fill(self, wanted):
        chunk = os.read(_REQUEST_FD, max(wanted, 65536))
        self._inbox += chunk
        return bool(chunk)

    @staticmethod
    def send(payload_json):
        body = payload_json.encode("utf-8", "replace")  # lone surrogates must not break a frame
        view = memoryview(len(body).to_bytes(4, "big") + body)
        while view:
            view = view[os.write(_REPLY_FD, view):]


def _stdlib(name):
    """Imports a stdlib module on first need without letting a file of the same name in the data
    directory (which is on sys.path, as in a notebook) stand in for it."""
    module = sys.modules.get(name)
    if module is None:
        saved = sys.path[:]
        sys.path[:] = [entry for entry in saved if entry not in ("", ".", os.getcwd())]
        try:
            module = __import__(name)
        finally:
            sys.path[:] = saved
    return module


class _Kernel:
    def __init__(self, config):
        self._output_limit = int(config.get("output_limit", 1 << 20))
        self._count = 0
        self._sources = {}  # cell file name -> source, so tracebacks can quote any cell
        # The user's namespace is a fresh __main__ module, so that pickle and multiprocessing
        # find what cells define, while the driver keeps its own globals.
        main = type(sys)("__main__")
        main.__dict__["__builtins__"] = builtins
        sys.modules["__main__"] = main
        self._namespace = main.__dict__
        # Saved copies of the capture pipes (not inherited by children), to undo a cell that
        # closes or redirects fd 1 or 2.
        self._saved_stdout = os.dup(1)
        self._saved_stderr = os.dup(2)

    def execute(self, request_id, code):
        self._count += 1
        filename = "<cell-%d>" % self._count
        sources = self._sources
        sources[filename] = code
        if len(sources) > _KEPT_SOURCES:
            del sources[next(iter(sources))]  # the oldest
        namespace = self._namespace
        value = None
        error = None
        start = perf_counter_ns()
        try:
            statements, expression = _compile(code, filename)
            if statements is not None:
                exec(statements, namespace)
            if expression is not None:
                value = eval(expression, namespace)
        except BaseException as exc:  # whatever the cell raises (SystemExit too) is its result
            error = exc
        elapsed = perf_counter_ns() - start
        if os.getpid() != _PID:
            _exit_forked_child(error)
        self._restore_stdio()
        images = _figures() if "matplotlib.pyplot" in sys.modules else None
        if value is None and error is None and not images and type(request_id) is int:
            # The common reply, formatted directly: a `pass` round trip is a few microseconds.
            return '{"status":"ok","id":%d,"time_ns":%d,"result":null}' % (request_id, elapsed)
        reply = {"status": "ok", "id": request_id, "time_ns": elapsed}
        if error is not None:
            reply["status"] = "error"
            reply.update(self._describe(error))
        if images:
            reply["images"] = images
        result = "null"
        if value is not None:
            try:
                result = _dumps(value)
            except Exception:  # not JSON (or NaN, or too deep): its repr stands in
                result = _dumps(_safe_repr(value))
            if len(result) > self._output_limit:
                text = _safe_repr(value)[:self._output_limit] + " ... [result truncated]"
                result = _dumps(text)
                reply["result_truncated"] = True
        body = _dumps(reply)
        return '{"result":' + result + "," + body[1:]

    def _restore_stdio(self):
        """Puts fds 1 and 2 and sys.stdout/sys.stderr back the way a cell may have left them."""
        flushed = _flush_stdio()
        try:
            os.dup2(self._saved_stdout, 1)
            os.dup2(self._saved_stderr, 2)
        except OSError:
            pass
        for name, fd in (("stdout", 1), ("stderr", 2)):
            stream = getattr(sys, name, None)
            if stream is None or getattr(stream, "closed", False):
                setattr(sys, name, open(fd, "w", encoding="utf-8", errors="backslashreplace",
                                        closefd=False))
        if not flushed:
            _flush_stdio()  # what a failed flush kept now reaches the restored pipe

    def _describe(self, error):
        try:
            value = str(error)
        except BaseException:
            value = "<str() of the exception failed>"
        return {"error_name": type(error).__name__, "error_value": value,
                "traceback": self._traceback(error)}

    def _traceback(self, error):
        try:
            linecache = _stdlib("linecache")
            traceback = _stdlib("traceback")
            # The cells' sources are lent to linecache while formatting (mtime None keeps them
            # through checkcache()), then taken back so that it does not grow with every error.
            lent = [name for name in self._sources if name not in linecache.cache]
            for name in lent:
                source = self._sources[name]
                linecache.cache[name] = (len(source), None, source.splitlines(True), name)
            frames = error.__traceback__
            while frames is not None and frames.tb_frame.f_globals is _DRIVER_GLOBALS:
                frames = frames.tb_next  # the user sees their own frames only
            try:
                return "".join(traceback.format_exception(type(error), error, frames))
            finally:
                for name in lent:
                    linecache.cache.pop(name, None)
        except BaseException as exc:
            return "%s: %s (formatting the traceback failed: %r)" % (
                type(error).__name__, _safe_repr(error), exc)


# Keywords that start a statement and never an expression: a line opening with one is compiled
# as a statement at once, sparing the failed eval-mode compile (a SyntaxError costs microseconds,
# which is most of a `pass` round trip).
_STATEMENT_KEYWORDS = frozenset(
    ("pass", "import", "from", "def", "class", "if", "for", "while", "with", "try", "return",
     "raise", "del", "global", "nonlocal", "assert", "break", "continue", "async"))


def _compile(code, filename):
    """Compiles a cell into (statements, trailing expression); either may be None."""
    stripped = code.strip()
    if "\n" not in stripped and "\r" not in stripped and ";" not in stripped:
        # One logical line is an expression exactly when it compiles in eval mode. This path
        # avoids building an AST, whose first use costs about a millisecond of type set-up.
        if stripped.partition(" ")[0].rstrip(":") not in _STATEMENT_KEYWORDS:
            try:
                return None, compile(stripped, filename, "eval", 0, True)
            except SyntaxError:
                pass  # compiled below, outside this handler, so errors are not chained
        return compile(stripped, filename, "exec", 0, True), None
    tree = compile(code, filename, "exec", _PYCF_ONLY_AST, True)
    body = tree.body
    if body:
        import _ast  # built in, and already initialised by the compile above

        if isinstance(body[-1], _ast.Expr):
            last = body.pop()
            expression = compile(_ast.Expression(last.value), filename, "eval", 0, True)
            return compile(tree, filename, "exec", 0, True), expression
    return compile(tree, filename, "exec", 0, True), None


def _flush_stdio():
    """Flushes sys.stdout and sys.stderr; False if either failed."""
    flushed = True
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BaseException:
            flushed = False
    return flushed


def _exit_forked_child(error):
    """A fork the cell made (and did not _exit) came back here: it must never answer."""
    _flush_stdio()
    os._exit(0 if error is None else 1)


def _safe_repr(value):
    try:
        return repr(value)
    except BaseException as exc:
        return "<repr() failed: %s>" % type(exc).__name__


def _figures():
    """Returns the open pyplot figures as base64 PNGs and closes them (as the inline backend)."""
    pyplot = sys.modules["matplotlib.pyplot"]
    try:
        numbers = pyplot.get_fignums()
        if not numbers:
            return None
        from binascii import b2a_base64
        from io import BytesIO

        images = []
        for number in numbers:
            buffer = BytesIO()
            pyplot.figure(number).savefig(buffer, format="png", bbox_inches="tight")
            images.append(b2a_base64(buffer.getvalue(), newline=False).decode("ascii"))
        return images
    except Exception as exc:
        print("sandbench: could not render the figures: %r" % (exc,), file=sys.stderr)
        return None
    finally:
        try:
            pyplot.close("all")
        except Exception:
            pass
        _flush_stdio()


def _apply_limits(limits):
    if not limits:
        return
    import resource

    for key, name in (("as", "RLIMIT_AS"), ("nproc", "RLIMIT_NPROC"), ("fsize", "RLIMIT_FSIZE")):
        if key in limits:
            value = int(limits[key])
            resource.setrlimit(getattr(resource, name), (value, value))


def _close_protocol_fds():
    for fd in (_REQUEST_FD, _REPLY_FD):
        try:
            os.close(fd)
        except OSError:
            pass


def _main():
    config = _loads(sys.argv[1]) if len(sys.argv) > 1 else {}
    # Children the cell starts must not hold the protocol pipes: exec'd ones lose them through
    # close-on-exec, forks through this hook. Otherwise the backend would not see the kernel die.
    os.set_inheritable(_REQUEST_FD, False)
    os.set_inheritable(_REPLY_FD, False)
    os.register_at_fork(after_in_child=_close_protocol_fds)
    _apply_limits(config.get("limits"))
    for stream in (sys.stdout, sys.stderr):
        if stream.encoding.lower().replace("-", "") != "utf8":
            stream.reconfigure(encoding="utf-8")
    sys.argv = [""]
    sys.path.insert(0, "")  # the data directory, as a notebook's working directory
    kernel = _Kernel(config)
    channel = _Channel()
    channel.send(_dumps({"op": "hello", "pid": _PID, "python": sys.version.split()[0]}))
    while True:
        request = channel.receive()
        if request is None or request.get("op") == "shutdown":
            break
        if request.get("op") == "execute":
            channel.send(kernel.execute(request.get("id"), request["code"]))
        else:
            channel.send(_dumps({"status": "protocol_error",
                                 "message": "unknown op %r" % (request.get("op"),)}))
    _flush_stdio()
    os._exit(0)  # skip interpreter finalisation: the cells' atexit hooks must not delay close


try:
    _main()
except BaseException as failure:  # the protocol is broken (a cell closed fd 3 or 4, ...)
    if os.getpid() == _PID:
        try:
            os.write(2, ("sandbench kernel: protocol failure: %r\n" % (failure,)).encode())
        except OSError:
            pass
    os._exit(70)
