// SqliteStore's AlertStore half: storing alert batches with de-duplication and hole-free
// cursors, filtered reads in cursor order (ReadAfter, Query), the counters kept in
// alert_stats, and retention by age and size in bounded transactions.
#include <sqlite3.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/status_macros.h"
#include "controller/store/sqlite_handle.h"
#include "controller/store/sqlite_store.h"
#include "controller/store/sqlite_store_internal.h"

namespace vigil::controller {

using sqlite_internal::QueryInt;
using sqlite_internal::ReadAll;
using sqlite_internal::Statement;
using sqlite_internal::Transaction;

namespace {

// The alert columns every read returns, in ReadAlertRow's order.
constexpr char kAlertColumns[] =
    "cursor, sensor_id, sensor_seq, node, rule, priority, tags, time_ns, received_ns, gap, "
    "lost, payload, epoch";

// The bytes SizeBytes reports: the sum of the stored alerts' AccountedBytes.
constexpr char kStoredBytesSql[] = "SELECT bytes FROM alert_stats WHERE id = 1";

// A count, cursor or size from a one-row query: its integer as unsigned (they are never
// negative), 0 when it returns NULL or no row (an empty store).
absl::StatusOr<uint64_t> QueryCount(SqliteConnection& conn, absl::string_view sql,
                                    absl::string_view what) {
  VIGIL_ASSIGN_OR_RETURN(int64_t value, QueryInt(conn, sql, what));
  return static_cast<uint64_t>(value);
}

// Tags as stored: each tag followed by '\0'.
std::string EncodeTags(const std::vector<std::string>& tags) {
  std::string out;
  for (const std::string& tag : tags) {
    out += tag;
    out.push_back('\0');
  }
  return out;
}

// The tags EncodeTags stored.
std::vector<std::string> DecodeTags(const std::string& encoded) {
  std::vector<std::string> tags;
  size_t start = 0;
  for (size_t i = 0; i < encoded.size(); ++i) {
    if (encoded[i] != '\0') continue;
    tags.emplace_back(encoded, start, i - start);
    start = i + 1;
  }
  return tags;
}

// The bytes SizeBytes counts for one alert: sensor_id, rule and tags are stored twice (in
// the row, and in an index or the tag table).
uint64_t AccountedBytes(const StoredAlert& alert, const std::string& encoded_tags) {
  return alert.payload.size() + alert.node.size() +
         2 * (alert.sensor_id.size() + alert.rule.size() + encoded_tags.size()) +
         SqliteStore::kRowOverheadBytes;
}

// INVALID_ARGUMENT, naming the alert's `index` in its batch, when the alert cannot be
// stored as it is: checked for the whole batch before anything is written.
absl::Status ValidateAlert(const StoredAlert& alert, size_t index) {
  auto invalid = [index](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat("alert ", index, " of the batch: ", why));
  };
  if (alert.sensor_id.empty()) return invalid("empty sensor_id");
  if (alert.priority < 0 || alert.priority > 7) {
    return invalid(absl::StrCat("priority ", alert.priority, " is outside 0..7"));
  }
  if (alert.payload.size() > AlertStore::kMaxPayloadBytes) {
    return invalid(absl::StrCat("payload of ", alert.payload.size(), " bytes exceeds ",
                                AlertStore::kMaxPayloadBytes));
  }
  for (const std::string& tag : alert.tags) {
    if (tag.find('\0') != std::string::npos) return invalid("a tag contains '\\0'");
  }
  return absl::OkStatus();
}

// One alert row (columns as in kAlertColumns).
StoredAlert ReadAlertRow(const Statement& row) {
  StoredAlert alert;
  alert.cursor = static_cast<uint64_t>(row.ColumnInt(0));
  alert.sensor_id = row.ColumnText(1);
  alert.sensor_seq = static_cast<uint64_t>(row.ColumnInt(2));
  alert.node = row.ColumnText(3);
  alert.rule = row.ColumnText(4);
  alert.priority = static_cast<int>(row.ColumnInt(5));
  alert.tags = DecodeTags(row.ColumnText(6));
  alert.time_ns = row.ColumnInt(7);
  alert.received_ns = row.ColumnInt(8);
  alert.gap = row.ColumnInt(9) != 0;
  alert.lost = static_cast<uint64_t>(row.ColumnInt(10));
  alert.payload = row.ColumnText(11);
  alert.epoch = row.ColumnText(12);
  return alert;
}

// A SELECT of alerts built from a filter, with its parameters in order.
class AlertQuery {
 public:
  // `bound` is the cursor condition with one parameter (`cursor_value`), or empty.
  AlertQuery(absl::string_view bound, int64_t cursor_value) {
    sql_ = absl::StrCat("SELECT ", kAlertColumns, " FROM alerts WHERE ");
    if (bound.empty()) {
      sql_ += "1";
    } else {
      absl::StrAppend(&sql_, bound);
      params_.emplace_back(cursor_value);
    }
  }

  // Adds the filter's conditions; gap records pass all but the node condition.
  void AddFilter(const AlertFilter& filter) {
    if (!filter.nodes.empty()) {
      sql_ += " AND ";
      AppendIn("node", filter.nodes, &sql_, &params_);
    }
    std::string conditions;
    Params params;
    auto next = [&conditions]() -> std::string* {
      if (!conditions.empty()) conditions += " AND ";
      return &conditions;
    };
    if (filter.max_priority.has_value()) {
      *next() += "priority <= ?";
      params.emplace_back(int64_t{*filter.max_priority});
    }
    if (!filter.rules.empty()) AppendIn("rule", filter.rules, next(), &params);
    if (!filter.tags.empty()) {
      *next() += "EXISTS (SELECT 1 FROM alert_tags t WHERE t.cursor = alerts.cursor AND ";
      AppendIn("t.tag", filter.tags, &conditions, &params);
      conditions += ")";
    }
    if (filter.since_ns != 0) {
      *next() += "time_ns >= ?";
      params.emplace_back(filter.since_ns);
    }
    if (filter.until_ns != 0) {
      *next() += "time_ns < ?";
      params.emplace_back(filter.until_ns);
    }
    if (conditions.empty()) return;
    absl::StrAppend(&sql_, " AND (gap = 1 OR (", conditions, "))");
    params_.insert(params_.end(), params.begin(), params.end());
  }

  // Orders by cursor ("ASC" or "DESC") and limits the rows.
  void Finish(absl::string_view order, size_t limit) {
    absl::StrAppend(&sql_, " ORDER BY cursor ", order, " LIMIT ?");
    params_.emplace_back(static_cast<int64_t>(limit));
  }

  // Runs the query and returns its alerts.
  absl::StatusOr<std::vector<StoredAlert>> Run(SqliteConnection& conn) const {
    VIGIL_ASSIGN_OR_RETURN(Statement stmt, Statement::Prepare(conn, sql_));
    for (size_t i = 0; i < params_.size(); ++i) {
      const int index = static_cast<int>(i) + 1;
      if (const int64_t* value = std::get_if<int64_t>(&params_[i])) {
        stmt.Int(index, *value);
      } else {
        stmt.Text(index, std::get<absl::string_view>(params_[i]));
      }
    }
    return ReadAll<StoredAlert>(stmt, "reading alerts", ReadAlertRow);
  }

 private:
  using Params = std::vector<std::variant<int64_t, absl::string_view>>;

  // Appends "column IN (?, ...)" to *sql and the values to *params.
  static void AppendIn(absl::string_view column, const std::vector<std::string>& values,
                       std::string* sql, Params* params) {
    absl::StrAppend(sql, column, " IN (");
    for (size_t i = 0; i < values.size(); ++i) {
      *sql += i == 0 ? "?" : ", ?";
      params->emplace_back(absl::string_view(values[i]));
    }
    *sql += ")";
  }

  std::string sql_;
  Params params_;
};

// One transaction of ApplyRetention: deletes up to kRetentionChunk of the oldest alerts
// that are older than `cutoff_ns` (when `by_age`) or beyond `max_bytes` (when not 0). Sets
// *more when it may have stopped at the chunk size.
absl::StatusOr<uint64_t> RetentionChunk(SqliteConnection& conn, bool by_age, int64_t cutoff_ns,
                                        uint64_t max_bytes, bool* more) {
  *more = false;
  VIGIL_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(conn, "applying retention"));
  VIGIL_ASSIGN_OR_RETURN(uint64_t remaining,
                         QueryCount(conn, kStoredBytesSql, "applying retention: reading the size"));
  uint64_t deleted = 0;
  uint64_t freed = 0;
  int64_t last = 0;
  {
    VIGIL_ASSIGN_OR_RETURN(
        Statement stmt,
        Statement::Prepare(
            conn, "SELECT cursor, received_ns, bytes FROM alerts ORDER BY cursor LIMIT ?"));
    stmt.Int(1, static_cast<int64_t>(SqliteStore::kRetentionChunk));
    size_t rows = 0;
    bool stopped = false;
    for (;;) {
      VIGIL_ASSIGN_OR_RETURN(bool row, stmt.Step("applying retention: reading the oldest"));
      if (!row) break;
      ++rows;
      const bool old = by_age && stmt.ColumnInt(1) < cutoff_ns;
      const bool over = max_bytes != 0 && remaining > max_bytes;
      if (!old && !over) {
        stopped = true;
        break;
      }
      const uint64_t bytes = static_cast<uint64_t>(stmt.ColumnInt(2));
      last = stmt.ColumnInt(0);
      remaining -= std::min(bytes, remaining);
      freed += bytes;
      ++deleted;
    }
    *more = !stopped && rows == SqliteStore::kRetentionChunk;
  }
  if (deleted == 0) return uint64_t{0};  // rolled back: nothing changed
  {
    VIGIL_ASSIGN_OR_RETURN(Statement del,
                           Statement::Prepare(conn, "DELETE FROM alerts WHERE cursor <= ?"));
    VIGIL_RETURN_IF_ERROR(del.Int(1, last).Run("applying retention: deleting alerts"));
  }
  {
    VIGIL_ASSIGN_OR_RETURN(
        Statement stats,
        Statement::Prepare(
            conn, "UPDATE alert_stats SET count = count - ?, bytes = bytes - ? WHERE id = 1"));
    VIGIL_RETURN_IF_ERROR(stats.Int(1, static_cast<int64_t>(deleted))
                              .Int(2, static_cast<int64_t>(freed))
                              .Run("applying retention: updating the counts"));
  }
  VIGIL_RETURN_IF_ERROR(tx.Commit());
  return deleted;
}

}  // namespace

absl::StatusOr<std::vector<InsertResult>> SqliteStore::Insert(std::vector<StoredAlert> alerts) {
  for (size_t i = 0; i < alerts.size(); ++i) VIGIL_RETURN_IF_ERROR(ValidateAlert(alerts[i], i));
  if (alerts.empty()) return std::vector<InsertResult>();
  return Write([&alerts](SqliteConnection& conn) -> absl::StatusOr<std::vector<InsertResult>> {
    VIGIL_ASSIGN_OR_RETURN(Transaction tx, Transaction::Begin(conn, "storing alerts"));
    std::vector<InsertResult> results;
    results.reserve(alerts.size());
    int64_t stored = 0;
    uint64_t stored_bytes = 0;
    for (const StoredAlert& alert : alerts) {
      InsertResult result;
      {
        VIGIL_ASSIGN_OR_RETURN(
            Statement find,
            Statement::Prepare(conn,
                               "SELECT cursor FROM alerts WHERE sensor_id = ? AND epoch = ? "
                               "AND sensor_seq = ?"));
        find.Text(1, alert.sensor_id)
            .Text(2, alert.epoch)
            .Int(3, static_cast<int64_t>(alert.sensor_seq));
        VIGIL_ASSIGN_OR_RETURN(bool found, find.Step("storing alerts: looking up duplicates"));
        if (found) {
          result.cursor = static_cast<uint64_t>(find.ColumnInt(0));
          result.duplicate = true;
          results.push_back(result);
          continue;
        }
      }
      const std::string tags = EncodeTags(alert.tags);
      const uint64_t bytes = AccountedBytes(alert, tags);
      {
        VIGIL_ASSIGN_OR_RETURN(
            Statement insert,
            Statement::Prepare(conn,
                               "INSERT INTO alerts (sensor_id, sensor_seq, node, rule, priority, "
                               "tags, time_ns, received_ns, gap, lost, payload, bytes, epoch) "
                               "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
        insert.Text(1, alert.sensor_id)
            .Int(2, static_cast<int64_t>(alert.sensor_seq))
            .Text(3, alert.node)
            .Text(4, alert.rule)
            .Int(5, alert.priority)
            .Blob(6, tags)
            .Int(7, alert.time_ns)
            .Int(8, alert.received_ns)
            .Int(9, alert.gap ? 1 : 0)
            .Int(10, static_cast<int64_t>(alert.lost))
            .Blob(11, alert.payload)
            .Int(12, static_cast<int64_t>(bytes))
            .Text(13, alert.epoch);
        VIGIL_RETURN_IF_ERROR(insert.Run("storing alerts: inserting"));
      }
      result.cursor = static_cast<uint64_t>(sqlite3_last_insert_rowid(conn.db()));
      if (!alert.tags.empty()) {
        VIGIL_ASSIGN_OR_RETURN(
            Statement tag_insert,
            Statement::Prepare(conn,
                               "INSERT OR IGNORE INTO alert_tags (cursor, tag) VALUES (?, ?)"));
        for (const std::string& tag : alert.tags) {
          VIGIL_RETURN_IF_ERROR(tag_insert.Reset()
                                    .Int(1, static_cast<int64_t>(result.cursor))
                                    .Text(2, tag)
                                    .Run("storing alerts: inserting tags"));
        }
      }
      ++stored;
      stored_bytes += bytes;
      results.push_back(result);
    }
    if (stored > 0) {
      VIGIL_ASSIGN_OR_RETURN(
          Statement stats,
          Statement::Prepare(
              conn, "UPDATE alert_stats SET count = count + ?, bytes = bytes + ? WHERE id = 1"));
      VIGIL_RETURN_IF_ERROR(stats.Int(1, stored)
                                .Int(2, static_cast<int64_t>(stored_bytes))
                                .Run("storing alerts: updating the counts"));
    }
    VIGIL_RETURN_IF_ERROR(tx.Commit());
    return results;
  });
}

absl::StatusOr<std::vector<StoredAlert>> SqliteStore::ReadAfter(uint64_t cursor,
                                                                const AlertFilter& filter,
                                                                size_t limit) {
  limit = std::min(limit, kMaxReadLimit);
  // Cursors are SQLite rowids: none is above INT64_MAX.
  constexpr uint64_t kMaxCursor = std::numeric_limits<int64_t>::max();
  if (limit == 0 || cursor >= kMaxCursor) return std::vector<StoredAlert>();
  AlertQuery query("cursor > ?", static_cast<int64_t>(cursor));
  query.AddFilter(filter);
  query.Finish("ASC", limit);
  return Read([&query](SqliteConnection& conn) { return query.Run(conn); });
}

absl::StatusOr<std::vector<StoredAlert>> SqliteStore::Query(const AlertFilter& filter,
                                                            uint64_t before_cursor, size_t limit) {
  limit = std::min(limit, kMaxReadLimit);
  if (limit == 0) return std::vector<StoredAlert>();
  // Cursors are SQLite rowids: every one is below a bound above INT64_MAX.
  const bool bounded =
      before_cursor != 0 && before_cursor <= uint64_t{std::numeric_limits<int64_t>::max()};
  AlertQuery query(bounded ? "cursor < ?" : "", static_cast<int64_t>(before_cursor));
  query.AddFilter(filter);
  query.Finish("DESC", limit);
  return Read([&query](SqliteConnection& conn) { return query.Run(conn); });
}

absl::StatusOr<uint64_t> SqliteStore::LastCursor() {
  return Read([](SqliteConnection& conn) {
    return QueryCount(conn, "SELECT seq FROM sqlite_sequence WHERE name = 'alerts'",
                      "reading the last cursor");
  });
}

absl::StatusOr<uint64_t> SqliteStore::OldestCursor() {
  return Read([](SqliteConnection& conn) {
    return QueryCount(conn, "SELECT min(cursor) FROM alerts", "reading the oldest cursor");
  });
}

absl::StatusOr<uint64_t> SqliteStore::Count() {
  return Read([](SqliteConnection& conn) {
    return QueryCount(conn, "SELECT count FROM alert_stats WHERE id = 1", "counting alerts");
  });
}

absl::StatusOr<uint64_t> SqliteStore::SizeBytes() {
  return Read([](SqliteConnection& conn) {
    return QueryCount(conn, kStoredBytesSql, "reading the stored size");
  });
}

absl::StatusOr<uint64_t> SqliteStore::ApplyRetention(int64_t max_age_ns, uint64_t max_bytes) {
  if (max_age_ns < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("sqlite store: negative retention age ", max_age_ns));
  }
  const bool by_age = max_age_ns > 0;
  const int64_t cutoff_ns = by_age ? absl::GetCurrentTimeNanos() - max_age_ns : 0;
  uint64_t total = 0;
  for (;;) {
    bool more = false;
    VIGIL_ASSIGN_OR_RETURN(uint64_t deleted, Write([&](SqliteConnection& conn) {
                             return RetentionChunk(conn, by_age, cutoff_ns, max_bytes, &more);
                           }));
    total += deleted;
    if (!more) return total;
  }
}

}  // namespace vigil::controller
