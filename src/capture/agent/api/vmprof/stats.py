"""read_profile(path) -> Stats: a VMProf file as vmprof's Stats presents it, written from
docs/formats.md §1 (pyrometer's own reader is TypeScript; this one serves Python programs).

Stats.profiles holds one (trace, count, thread_id, rss_kb) per stack record, the trace root
first; in lines mode each code address is followed by its line as a negative number, as vmprof
gives them. count is the record's weight: pyrometer's sampler writes each look once with its
weight in periods in `w:<n>` META records; every other record counts 1.
"""
import datetime
import struct

CODE, JITTED, NATIVE = 1, 3, 7  # PyPy's (kind, value) entries that name a frame


class EmptyProfileFile(Exception):
    pass


class _Reader(object):
    def __init__(self, data):
        self.data = data
        self.pos = 0
        if len(data) < 40 and not (len(data) >= 20 and data[4:8] == b'\x03\0\0\0'):
            raise EmptyProfileFile('not a VMProf file (too short)')
        if data[4] == 3 and data[8] != 3:
            words, win64 = 4, struct.unpack_from('<i', data, 16)[0] == 1
            self.word = '<i'
            self.addr = '<q' if win64 else '<i'
        else:
            words = 8
            self.word = self.addr = '<q'
        self.period_usec = struct.unpack_from(self.word, data, 3 * words)[0]
        self.pos = 5 * words

    def take(self, fmt):
        value = struct.unpack_from(fmt, self.data, self.pos)[0]
        self.pos += struct.calcsize(fmt)
        return value

    def string(self):
        n = self.take(self.word)
        text = self.data[self.pos:self.pos + n].decode('utf-8', 'replace')
        self.pos += n
        return text

    def time(self):
        sec, usec = self.take('<q'), self.take('<q')
        self.pos += 8
        return datetime.datetime.fromtimestamp(sec + usec / 1e6)


def _read(data):
    r = _Reader(data)
    version, flags, interp = 0, 0, None
    meta, names, records = {}, {}, []
    start = end = None
    memory = lines = rpython = False
    while r.pos < len(data):
        marker = data[r.pos]
        r.pos += 1
        if marker == 0x05:
            version = data[r.pos + 1]
            r.pos += 2
            if version >= 4:
                flags = data[r.pos]
                r.pos += 1
            n = data[r.pos]
            interp = data[r.pos + 1:r.pos + 1 + n].decode('utf-8', 'replace')
            r.pos += 1 + n
            memory = bool(flags & 1) if version >= 4 else version == 3
            lines = bool(flags & 2)
            rpython = bool(flags & 8) or interp == 'pypy'
        elif marker == 0x04:
            n = data[r.pos]
            interp = data[r.pos + 1:r.pos + 1 + n].decode('utf-8', 'replace')
            r.pos += 1 + n
        elif marker == 0x07:
            key = r.string()
            meta[key] = r.string()
        elif marker == 0x06:
            start = r.time()
        elif marker in (0x02, 0x08):
            uid = r.take(r.addr)
            name = r.string()
            if marker == 0x02 or uid not in names:
                names[uid] = name
        elif marker == 0x01:
            r.take(r.word)  # count: 1 in every writer
            depth = r.take(r.word)
            entries = struct.unpack_from('<%d%s' % (depth, r.addr[1]), data, r.pos)
            r.pos += depth * struct.calcsize(r.addr)
            thread = r.take(r.addr) if version >= 1 else 0
            rss = r.take(r.addr) if memory else 0
            if rpython:
                trace = [entries[i + 1] for i in range(0, depth - 1, 2) if entries[i] in (CODE, JITTED, NATIVE)]
            elif lines:
                trace = []
                for i in range(0, depth - 1, 2):
                    trace.append(-entries[i])  # line, negative as vmprof gives it
                    trace.append(entries[i + 1])
            else:
                trace = list(entries)
            trace.reverse()
            records.append([trace, 1, thread, rss])
        elif marker == 0x03:
            if version >= 5 and r.pos + 24 <= len(data):
                end = r.time()
            break
        else:
            raise EmptyProfileFile('not a VMProf record (marker 0x%02x at byte %d)' % (marker, r.pos - 1))
    for key, value in meta.items():
        if key.startswith('w:'):
            first = int(key[2:])
            for i, w in enumerate(value.split(',')):
                if first + i < len(records):
                    records[first + i][1] = int(w)
    return dict(profiles=[tuple(p) for p in records], adr_dict=names, interp=interp, meta=meta,
                start_time=start, end_time=end, lines=lines and not rpython, memory=memory,
                period_usec=r.period_usec)


def read_profile(prof_file):
    """A VMProf file (path or binary file object) as Stats."""
    if hasattr(prof_file, 'read'):
        data = prof_file.read()
    else:
        with open(str(prof_file), 'rb') as f:
            data = f.read()
    if data[:2] == b'\x1f\x8b':
        import gzip
        data = gzip.decompress(data)
    d = _read(data)
    stats = Stats(d['profiles'], d['adr_dict'], interp=d['interp'], meta=d['meta'],
                  start_time=d['start_time'], end_time=d['end_time'])
    stats.profile_lines = d['lines']
    stats.profile_memory = d['memory']
    stats.period_usec = d['period_usec']
    stats.generate_top()
    return stats


class Stats(object):
    def __init__(self, profiles, adr_dict=None, jit_frames=None, interp=None, meta=None,
                 start_time=None, end_time=None, state=None):
        self.profiles = profiles
        self.adr_dict = adr_dict or {}
        self.jit_frames = jit_frames or set()
        self.interp = interp or 'cpython'
        self.meta = meta or {}
        self.start_time = start_time
        self.end_time = end_time
        self.profile_lines = False
        self.profile_memory = False
        self.functions = {}

    def get_runtime_in_microseconds(self):
        if self.start_time is None or self.end_time is None:
            return 0
        return (self.end_time - self.start_time).total_seconds() * 1000000

    def _addrs(self, trace):
        return trace[0::2] if self.profile_lines else trace

    def generate_top(self):
        """functions: address -> weight of the records it appears in (once per record)."""
        self.functions = {}
        for trace, count, _, _ in self.profiles:
            for addr in set(self._addrs(trace)):
                self.functions[addr] = self.functions.get(addr, 0) + count

    def top_profile(self):
        return [(self._get_name(k), v) for k, v in self.functions.items()]

    def _get_name(self, addr):
        return self.adr_dict.get(addr, '<unknown code>')

    def get_name(self, addr):
        name = self.adr_dict.get(addr)
        return name.split(':')[1] if name else 'unknown'

    def get_addr_info(self, addr):
        name = self.adr_dict.get(addr)
        return tuple(name.split(':', 3)) if name else None

    def find_addrs_containing_name(self, part):
        for addr, name in self.adr_dict.items():
            if part in name.split(':', 3)[1]:
                yield addr

    def getargv(self):
        return self.meta.get('argv', '')

    def getmeta(self, key, default):
        return self.meta.get(key, default)

    def display(self, no):
        return [self._get_name(a) for a in self._addrs(self.profiles[no][0])]

    def function_profile(self, top_function):
        """Weights of the functions called (directly or not) under `top_function`, and its own."""
        result, total = {}, 0
        for trace, count, _, _ in self.profiles:
            addrs = self._addrs(trace)
            if top_function not in addrs:
                continue
            total += count
            for addr in set(addrs[addrs.index(top_function) + 1:]):
                result[addr] = result.get(addr, 0) + count
        return sorted(result.items(), key=lambda a: a[1]), total

    def get_top(self, profiles):
        """The root of the first record with a stack, weighing every record."""
        for trace, _, _, _ in profiles:
            if trace:
                break
        else:
            raise EmptyProfileFile('no samples')
        return Node(trace[0], self._get_name(trace[0]), sum(count for _, count, _, _ in profiles))

    def get_tree(self):
        """vmprof-python's tree (its stats.py): the root of the first record, every other record
        added under it, so a record with another root (another thread's entry point) hangs that
        root under the first one; then filter_top picks the node programs want. node.count is
        weight (vmprof: records), node.lines line -> weight."""
        top = self.get_top(self.profiles)
        for trace, count, _, _ in self.profiles:
            last = top.addr
            cur = top
            for addr in trace:
                if addr <= 0:
                    # a line (negative), after the code it is in
                    cur.lines[-addr] = cur.lines.get(-addr, 0) + count
                    continue
                if addr == last:
                    continue  # the root itself, or recursion written twice in a row
                last = addr
                cur = cur.add_child(addr, self._get_name(addr), count)
        return self.filter_top(top)

    def filter_top(self, top):
        """The first `<module>` node going down (not vmprof's own __main__), through the heaviest
        child where the tree branches; the root when there is none, as vmprof-python does."""
        first_top = top
        while True:
            if top.name.startswith('py:<module>') and 'vmprof/__main__.py' not in top.name:
                return top
            if len(top.children) > 1:
                heaviest, count = None, -1
                for child in top.children.values():
                    if child.count > count:
                        heaviest, count = child, child.count
                top = heaviest
            else:
                try:
                    top = top['']
                except KeyError:
                    break
        return first_top


class Node(object):
    def __init__(self, addr, name, count=0, children=None):
        self.addr = addr
        self.name = name
        self.count = count
        self.children = children or {}
        self.lines = {}
        self.meta = {}

    def add_child(self, addr, name, count=1):
        child = self.children.get(addr)
        if child is None:
            child = self.children[addr] = Node(addr, name, count)
        else:
            child.count += count
        return child

    def __getitem__(self, item):
        """A child by address (int), or the first whose name contains `item` (vmprof's lookup)."""
        if isinstance(item, int):
            return self.children[item]
        for child in self.children.values():
            if item in child.name:
                return child
        raise KeyError(item)

    def walk(self, callback):
        callback(self)
        for child in self.children.values():
            child.walk(callback)

    def get_self_count(self):
        return self.count - sum(c.count for c in self.children.values())

    self_count = property(get_self_count)

    def cumulative_meta(self, d=None):
        if d is None:
            d = {}
        for child in self.children.values():
            child.cumulative_meta(d)
        for k, v in self.meta.items():
            d[k] = d.get(k, 0) + v
        return d

    def flatten(self):
        return self

    def as_json(self):
        import json
        return json.dumps(self._serialize())

    def _serialize(self):
        return [self.name, str(self.addr), self.count, self.meta,
                [c._serialize() for c in self.children.values()]]

    def __repr__(self):
        return '<Node: %s (%d) [%s]>' % (self.name, self.count, ', '.join(c.name for c in self.children.values()))
