"""moto_server with two Route 53 bugs of moto 5.2.1 fixed, for tests that
replace, delete and re-create weighted record sets the way real Route 53
allows (tests/faults):

1. A DELETE with a SetIdentifier removes every record set of the zone with
   that set identifier, whatever its name and type (FakeZone.delete_rrset_by_id):
   deleting ecssd's ownership companion also deleted the record it describes,
   which shares its set identifier. Real Route 53 deletes the one record set
   named by (name, type, set identifier).
2. A CREATE equal to one in the zone's change journal fails with "already
   exists" when any record set of that name and type exists, whatever its set
   identifier: a weighted record deleted once could never be created again.
   Real Route 53 refuses a CREATE only when (name, type, set identifier) exists.
3. Change batches that arrive together (moto_server serves each request on a
   thread) are applied at the same time, and a DELETE rebuilds the zone's
   list of record sets: one batch could lose another's CREATE or bring back
   its DELETE. Real Route 53 applies each batch atomically; here they take a
   lock, one at a time.

    FixedMotoServer().start()        # harness/moto.py's MotoServer, running moto_server with these
"""
import os
import sys
import threading

from harness.moto import MotoServer

_call = threading.local()
_change_lock = threading.Lock()


def _norm(name):
    return name.rstrip(".") + "."


def _exists(zone, rs):
    return any(r.name == _norm(rs["Name"]) and r.type == rs["Type"]
               and (r.set_identifier or None) == (rs.get("SetIdentifier") or None) for r in zone.rrsets)


def install():
    from moto.route53 import models

    original_change = models.Route53Backend.change_resource_record_sets
    original_contains = models.ChangeList.__contains__

    def change_resource_record_sets(self, zoneid, change_list):
        # One change batch at a time, as Route 53 applies each atomically:
        # moto_server serves requests on threads, and a DELETE rebuilds
        # zone.rrsets (delete_rrset_by_id below), so two batches running
        # together could drop the other's CREATE or bring back its DELETE
        # (seen with 100 agents on one zone, bench/fleet).
        with _change_lock:
            zone = self.get_hosted_zone(zoneid)
            _call.zone = zone
            _call.deletes = [c["ResourceRecordSet"] for c in change_list
                             if c["Action"] == "DELETE" and "SetIdentifier" in c["ResourceRecordSet"]]
            try:
                return original_change(self, zoneid, change_list)
            finally:
                _call.zone = None

    def contains(self, item):
        # moto asks "is this CREATE in the journal?" to decide whether the record set exists.
        zone = getattr(_call, "zone", None)
        if zone is not None and item.get("Action") == "CREATE" and item["ResourceRecordSet"].get("SetIdentifier"):
            return _exists(zone, item["ResourceRecordSet"])
        return original_contains(self, item)

    def delete_rrset_by_id(self, set_identifier):
        rs = _call.deletes.pop(0)
        assert rs["SetIdentifier"] == set_identifier
        self.rrsets = [r for r in self.rrsets
                       if not (r.name == _norm(rs["Name"]) and r.type == rs["Type"]
                               and r.set_identifier == set_identifier)]

    models.Route53Backend.change_resource_record_sets = change_resource_record_sets
    models.ChangeList.__contains__ = contains
    models.FakeZone.delete_rrset_by_id = delete_rrset_by_id


class FixedMotoServer(MotoServer):
    """harness/moto.py's MotoServer, running moto_server with the fixes above."""

    def command(self):
        here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        return [sys.executable, "-c", f"import sys; sys.path.insert(0, {here!r}); "
                "from harness.moto_route53_fix import install; install(); "
                "from moto.server import main; main()"]
