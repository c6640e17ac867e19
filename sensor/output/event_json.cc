#include "sensor/output/event_json.h"

#include "event/ip.h"
#include "sensor/output/json_writer.h"
#include "sensor/probes/record_registry.h"

namespace vigil::sensor {

void AppendEventJson(const event::Event& event, const event::ProcessInfo* parent,
                     std::string* out) {
  JsonWriter w(out);
  const event::TaskContext& t = event.task;
  w.BeginObject();
  w.String("type", event::EventTypeName(event.type));
  w.Uint("time_boot_ns", t.time_boot_ns);
  w.Uint("pid", t.pid);
  w.Uint("tid", t.tid);
  w.Uint("ppid", t.ppid);
  w.Uint("uid", t.uid);
  w.Uint("euid", t.euid);
  w.Uint("gid", t.gid);
  w.Uint("loginuid", t.loginuid);
  w.Uint("cgroup_id", t.cgroup_id);
  w.Uint("mntns", t.mntns);
  w.Uint("pidns", t.pidns);
  w.String("comm", t.comm);
  if (parent != nullptr) {
    w.String("pcomm", parent->comm);
    w.String("pexe", parent->exe);
  }
  if (const probes::RecordType* type = probes::FindRecordType(static_cast<uint16_t>(event.type))) {
    type->append_json(event, &w);
  }
  w.EndObject();
  out->push_back('\n');
}

void AppendNetSummaryJson(const ConnectionSummary& s, int64_t boot_to_wall_ns, std::string* out) {
  JsonWriter w(out);
  w.BeginObject();
  w.String("type", "net_summary");
  w.Uint("first_boot_ns", s.first_ns);
  w.Uint("last_boot_ns", s.last_ns);
  w.Int("last_unix_ns", static_cast<int64_t>(s.last_ns) + boot_to_wall_ns);
  w.Uint("pid", s.pid);
  w.String("comm", s.comm);
  w.String("direction", s.inbound ? "inbound" : "outbound");
  w.String("l4proto", event::L4ProtoName(s.protocol));
  w.String("rip", event::FormatIp(s.remote()));
  w.Uint(s.inbound ? "lport" : "rport", s.port);
  w.Uint("connections", s.connections);
  w.Uint("failed", s.failed);
  w.Uint("bytes_received", s.bytes_received);
  w.Uint("bytes_sent", s.bytes_sent);
  w.EndObject();
  out->push_back('\n');
}

}  // namespace vigil::sensor
