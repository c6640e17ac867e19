// The rule compiler: lists expanded, macros and rules parsed and type-checked into plan
// nodes with their event masks, exceptions and stateful specs compiled, and the event-type
// index and kernel filter set (rules/rule_compiler.h).
#include "rules/rule_compiler.h"

#include <algorithm>
#include <optional>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "common/status_macros.h"
#include "event/ip.h"
#include "rules/condition_parser.h"
#include "rules/glob.h"
#include "rules/kernel_filter.h"

namespace vigil::rules {

using event::EventType;

namespace {

// The file name of the private start location multi-part conditions are parsed from.
constexpr absl::string_view kJoinedFile = "\x01vigil-joined-condition";

// Maps a location in the '\n'-joined text of `parts` back to the part holding it.
SourceLocation MapJoined(const std::vector<TextPart>& parts, const SourceLocation& loc) {
  if (loc.file != kJoinedFile || parts.empty()) return loc;
  int first_line = 1;
  for (size_t i = 0; i < parts.size(); ++i) {
    const int lines =
        1 + static_cast<int>(std::count(parts[i].text.begin(), parts[i].text.end(), '\n'));
    if (loc.line < first_line + lines || i + 1 == parts.size()) {
      const SourceLocation& start = parts[i].where;
      const int offset = loc.line - first_line;
      if (offset == 0) return start.Advance(loc.column - 1);
      SourceLocation out = start;
      if (out.line > 0) out.line += offset;
      out.column = start.column > 0 ? loc.column : 0;
      return out;
    }
    first_line += lines;
  }
  return loc;
}

// Maps a parse error on the joined text ("<marker>:L:C: reason") back to its part.
absl::Status MapJoinedError(const std::vector<TextPart>& parts, const absl::Status& status) {
  absl::string_view msg = status.message();
  const std::string prefix = absl::StrCat(kJoinedFile, ":");
  if (!absl::ConsumePrefix(&msg, prefix)) return status;
  SourceLocation loc{std::string(kJoinedFile), 0, 0};
  const size_t colon1 = msg.find(':');
  const size_t colon2 = colon1 == absl::string_view::npos ? colon1 : msg.find(':', colon1 + 1);
  if (colon2 == absl::string_view::npos || !absl::SimpleAtoi(msg.substr(0, colon1), &loc.line) ||
      !absl::SimpleAtoi(msg.substr(colon1 + 1, colon2 - colon1 - 1), &loc.column)) {
    return status;
  }
  msg.remove_prefix(colon2 + 1);
  absl::ConsumePrefix(&msg, " ");
  return RuleError(MapJoined(parts, loc), msg);
}

void MapTree(const std::vector<TextPart>& parts, Expr* expr) {
  expr->where = MapJoined(parts, expr->where);
  for (Value& v : expr->values) v.where = MapJoined(parts, v.where);
  for (auto& child : expr->children) MapTree(parts, child.get());
}

// Parses a condition made of one or more parts, with locations in the parts' files.
absl::StatusOr<std::unique_ptr<Expr>> ParseParts(const std::vector<TextPart>& parts,
                                                 const SourceLocation& item_where) {
  if (parts.empty()) return RuleError(item_where, "empty condition");
  if (parts.size() == 1) return ParseCondition(parts[0].text, parts[0].where);
  std::vector<absl::string_view> texts;
  for (const TextPart& part : parts) texts.push_back(part.text);
  const std::string joined = absl::StrJoin(texts, "\n");
  auto parsed = ParseCondition(joined, SourceLocation{std::string(kJoinedFile), 1, 1});
  if (!parsed.ok()) return MapJoinedError(parts, parsed.status());
  MapTree(parts, parsed->get());
  return parsed;
}

// Splits "name[arg]" (or "name"); false when a '[' is not closed at the end.
bool SplitFieldRef(absl::string_view f, std::string* name, std::string* arg) {
  *name = std::string(f.substr(0, f.find('[')));
  arg->clear();
  if (name->size() == f.size()) return true;
  if (f.back() != ']') return false;
  *arg = std::string(f.substr(name->size() + 1, f.size() - name->size() - 2));
  return true;
}

bool OpApplies(FieldType type, CompareOp op) {
  switch (type) {
    case FieldType::kString:
    case FieldType::kPath:
      switch (op) {
        case CompareOp::kEq:
        case CompareOp::kNe:
        case CompareOp::kIn:
        case CompareOp::kContains:
        case CompareOp::kIContains:
        case CompareOp::kStartsWith:
        case CompareOp::kEndsWith:
        case CompareOp::kGlob: return true;
        case CompareOp::kPMatch: return type == FieldType::kPath;
        default: return false;
      }
    case FieldType::kInt:
    case FieldType::kUid:
    case FieldType::kFlags:
      switch (op) {
        case CompareOp::kEq:
        case CompareOp::kNe:
        case CompareOp::kLt:
        case CompareOp::kLe:
        case CompareOp::kGt:
        case CompareOp::kGe:
        case CompareOp::kIn: return true;
        default: return false;
      }
    case FieldType::kBool: return op == CompareOp::kEq || op == CompareOp::kNe;
    case FieldType::kFile: return op == CompareOp::kIn;
    case FieldType::kIp:
      return op == CompareOp::kEq || op == CompareOp::kNe || op == CompareOp::kIn;
  }
  return false;
}

bool ParseComp(absl::string_view text, CompareOp* op) {
  static constexpr std::pair<absl::string_view, CompareOp> kOps[] = {
      {"=", CompareOp::kEq},
      {"==", CompareOp::kEq},
      {"!=", CompareOp::kNe},
      {"<", CompareOp::kLt},
      {"<=", CompareOp::kLe},
      {">", CompareOp::kGt},
      {">=", CompareOp::kGe},
      {"in", CompareOp::kIn},
      {"contains", CompareOp::kContains},
      {"icontains", CompareOp::kIContains},
      {"startswith", CompareOp::kStartsWith},
      {"endswith", CompareOp::kEndsWith},
      {"glob", CompareOp::kGlob},
      {"pmatch", CompareOp::kPMatch},
  };
  for (const auto& [name, o] : kOps) {
    if (name == text) {
      *op = o;
      return true;
    }
  }
  return false;
}

}  // namespace

absl::StatusOr<std::unique_ptr<RuleSet>> RuleSetCompiler::Run() {
  set_.reset(new RuleSet());
  for (const ListItem& list : files_.lists()) lists_[list.name] = &list;
  for (const MacroItem& macro : files_.macros()) macros_[macro.name] = &macro;
  for (const ListItem& list : files_.lists()) {
    std::vector<std::string> stack;
    VIGIL_RETURN_IF_ERROR(ExpandList(list.name, &stack).status());
  }
  for (const MacroItem& macro : files_.macros()) {
    VIGIL_RETURN_IF_ERROR(CompileMacro(macro.name, macro.where).status());
  }
  for (const RuleItem& item : files_.rules()) {
    VIGIL_RETURN_IF_ERROR(CompileRule(item));
  }
  for (uint32_t i = 0; i < set_->rules_.size(); ++i) {
    const CompiledRule& rule = set_->rules_[i];
    if (!rule.enabled) continue;
    for (int t = 0; t < RuleSet::kMaxEventTypes; ++t) {
      if (rule.event_mask & (1u << t)) set_->by_type_[t].push_back(i);
    }
  }
  set_->kernel_filter_ = ComputeKernelFilter(*set_);
  return std::move(set_);
}

uint32_t RuleSetCompiler::AddNode(Node node) {
  set_->nodes_.push_back(std::move(node));
  return static_cast<uint32_t>(set_->nodes_.size() - 1);
}

uint32_t RuleSetCompiler::AddBranch(Node::Kind kind, std::vector<uint32_t> children) {
  Node node;
  node.kind = kind;
  if (kind == Node::Kind::kNot) {
    node.mask = kAllEvents;
  } else {
    node.mask = kind == Node::Kind::kAnd ? kAllEvents : 0;
    for (uint32_t c : children) {
      const uint32_t m = set_->nodes_[c].mask;
      node.mask = kind == Node::Kind::kAnd ? (node.mask & m) : (node.mask | m);
    }
  }
  node.children = std::move(children);
  return AddNode(std::move(node));
}

absl::StatusOr<const std::vector<std::string>*> RuleSetCompiler::ExpandList(
    const std::string& name, std::vector<std::string>* stack) {
  auto done = expanded_.find(name);
  if (done != expanded_.end()) return &done->second;
  const ListItem* list = lists_.at(name);
  if (std::find(stack->begin(), stack->end(), name) != stack->end()) {
    std::vector<std::string> chain(std::find(stack->begin(), stack->end(), name), stack->end());
    chain.push_back(name);
    return RuleError(lists_.at(stack->back())->where,
                     absl::StrCat("list cycle: ", absl::StrJoin(chain, " -> ")));
  }
  stack->push_back(name);
  std::vector<std::string> out;
  for (const std::string& item : list->items) {
    if (lists_.contains(item)) {
      VIGIL_ASSIGN_OR_RETURN(const std::vector<std::string>* sub, ExpandList(item, stack));
      out.insert(out.end(), sub->begin(), sub->end());
    } else {
      out.push_back(item);
    }
  }
  stack->pop_back();
  return &(expanded_[name] = std::move(out));
}

absl::StatusOr<uint32_t> RuleSetCompiler::CompileMacro(const std::string& name,
                                                       const SourceLocation& where) {
  auto done = macro_roots_.find(name);
  if (done != macro_roots_.end()) return done->second;
  auto it = macros_.find(name);
  if (it == macros_.end()) return RuleError(where, absl::StrCat("unknown macro '", name, "'"));
  auto on_stack = std::find(macro_stack_.begin(), macro_stack_.end(), name);
  if (on_stack != macro_stack_.end()) {
    std::vector<std::string> chain(on_stack, macro_stack_.end());
    chain.push_back(name);
    return RuleError(where, absl::StrCat("macro cycle: ", absl::StrJoin(chain, " -> ")));
  }
  macro_stack_.push_back(name);
  VIGIL_ASSIGN_OR_RETURN(std::unique_ptr<Expr> expr,
                         ParseParts(it->second->condition, it->second->where));
  VIGIL_ASSIGN_OR_RETURN(uint32_t root, CompileExpr(*expr));
  macro_stack_.pop_back();
  macro_roots_[name] = root;
  return root;
}

absl::StatusOr<uint32_t> RuleSetCompiler::CompileExpr(const Expr& expr) {
  switch (expr.kind) {
    case ExprKind::kAnd:
    case ExprKind::kOr:
    case ExprKind::kNot: {
      std::vector<uint32_t> children;
      for (const auto& child : expr.children) {
        VIGIL_ASSIGN_OR_RETURN(uint32_t c, CompileExpr(*child));
        children.push_back(c);
      }
      const Node::Kind kind = expr.kind == ExprKind::kAnd  ? Node::Kind::kAnd
                              : expr.kind == ExprKind::kOr ? Node::Kind::kOr
                                                           : Node::Kind::kNot;
      return AddBranch(kind, std::move(children));
    }
    case ExprKind::kReference: return CompileMacro(expr.name, expr.where);
    case ExprKind::kExists: {
      Node node;
      node.kind = Node::Kind::kExists;
      VIGIL_RETURN_IF_ERROR(ResolveField(expr.field, expr.field_arg, expr.where, &node));
      node.mask = node.field->event_mask;
      return AddNode(std::move(node));
    }
    case ExprKind::kCompare: {
      std::vector<Item> items;
      for (const Value& v : expr.values) {
        items.push_back(Item{v.text, v.kind, v.number, &v.where});
      }
      const CompareOp op = expr.list_form && expr.op == CompareOp::kEq ? CompareOp::kIn : expr.op;
      return CompileCompare(expr.field, expr.field_arg, op, items, expr.where);
    }
  }
  return RuleError(expr.where, "unsupported expression");
}

absl::Status RuleSetCompiler::ResolveField(absl::string_view name, absl::string_view arg,
                                           const SourceLocation& where, Node* node) {
  const FieldInfo* field = FindField(name);
  if (field == nullptr) return RuleError(where, absl::StrCat("unknown field '", name, "'"));
  node->field = field;
  node->arg = event::InitialFieldArg(*field);
  if (field->takes_arg) {
    std::string error;
    if (!ParseFieldArg(*field, arg, &node->arg, &error)) return RuleError(where, error);
  } else if (!arg.empty()) {
    return RuleError(where, absl::StrCat("field '", name, "' takes no argument"));
  }
  return absl::OkStatus();
}

absl::Status RuleSetCompiler::CheckOp(const FieldInfo& field, CompareOp op,
                                      const SourceLocation& where) {
  if (OpApplies(field.type, op)) return absl::OkStatus();
  return RuleError(where, absl::StrCat("operator '", CompareOpName(op), "' does not apply to ",
                                       FieldTypeName(field.type), " field ", field.name,
                                       field.type == FieldType::kFile
                                           ? absl::StrCat(" (write ", field.name, " in (PATHS))")
                                           : ""));
}

absl::StatusOr<uint32_t> RuleSetCompiler::CompileCompare(absl::string_view field_name,
                                                         absl::string_view arg, CompareOp op,
                                                         const std::vector<Item>& values,
                                                         const SourceLocation& where) {
  Node node;
  node.kind = Node::Kind::kCompare;
  node.op = op;
  VIGIL_RETURN_IF_ERROR(ResolveField(field_name, arg, where, &node));
  const FieldInfo& field = *node.field;
  VIGIL_RETURN_IF_ERROR(CheckOp(field, op, where));
  node.mask = field.event_mask;

  // Expand list names for the list operators.
  std::vector<Item> items;
  std::vector<std::string> scratch;
  for (const Item& v : values) {
    if ((op == CompareOp::kIn || op == CompareOp::kPMatch) && v.kind == Value::Kind::kBareWord &&
        lists_.contains(std::string(v.text))) {
      std::vector<std::string> stack;
      VIGIL_ASSIGN_OR_RETURN(const std::vector<std::string>* list,
                             ExpandList(std::string(v.text), &stack));
      for (const std::string& s : *list) {
        items.push_back(Item{s, Value::Kind::kBareWord, 0, v.where});
      }
    } else {
      items.push_back(v);
    }
  }
  if (op != CompareOp::kIn && op != CompareOp::kPMatch && items.size() != 1) {
    return RuleError(where,
                     absl::StrCat("operator '", CompareOpName(op), "' takes exactly one value"));
  }

  if (field.type == FieldType::kFile) {
    for (const Item& v : items) {
      if (v.kind == Value::Kind::kNumber || v.text.empty() || v.text[0] != '/') {
        return RuleError(*v.where,
                         absl::StrCat("type mismatch: ", field.name,
                                      " in (...) takes absolute paths, '", v.text, "' is not one"));
      }
      node.numbers.push_back(set_->file_identities_->Add(v.text));
    }
  } else if (field.type == FieldType::kIp) {
    for (const Item& v : items) {
      absl::StatusOr<event::IpNetwork> net = event::ParseIpNetwork(v.text);
      if (!net.ok()) {
        return RuleError(*v.where, absl::StrCat("type mismatch: ", field.name, " is an ip, ",
                                                net.status().message()));
      }
      node.strings.push_back(event::PackNetwork(*net));
    }
  } else if (IsNumeric(field.type)) {
    for (const Item& v : items) {
      int64_t n = 0;
      if (v.kind == Value::Kind::kNumber) {
        n = v.number;
      } else if (v.kind == Value::Kind::kString || !absl::SimpleAtoi(v.text, &n)) {
        return RuleError(
            *v.where, absl::StrCat("type mismatch: ", field.name,
                                   field.type == FieldType::kInt ? " is an " : " is a ",
                                   FieldTypeName(field.type), ", '", v.text, "' is not a number"));
      }
      if (field.type == FieldType::kUid && n == -1) n = 0xffffffffLL;
      node.numbers.push_back(n);
    }
  } else if (field.type == FieldType::kBool) {
    const Item& v = items[0];
    if (v.text != "true" && v.text != "false") {
      return RuleError(*v.where, absl::StrCat("type mismatch: ", field.name, " is a bool, '",
                                              v.text, "' is not true or false"));
    }
    node.numbers.push_back(v.text == "true" ? 1 : 0);
  } else {
    const bool is_evt_type = field.name == "evt.type";
    uint32_t type_mask = 0;
    uint32_t whole_type_mask = 0;  // types every event of which the values name
    for (const Item& v : items) {
      std::string s(v.text);
      if (is_evt_type && (op == CompareOp::kEq || op == CompareOp::kNe || op == CompareOp::kIn)) {
        event::EventType type;
        bool whole = false;
        if (!event::EventTypeOfEvtName(s, &type, &whole)) {
          return RuleError(*v.where, absl::StrCat("unknown event type '", s, "'"));
        }
        type_mask |= EventBit(type);
        if (whole) whole_type_mask |= EventBit(type);
      }
      if (op == CompareOp::kGlob) {
        absl::Status valid = ValidateGlob(s);
        if (!valid.ok()) return RuleError(*v.where, valid.message());
      } else if (op == CompareOp::kIContains) {
        absl::AsciiStrToLower(&s);
      } else if (op == CompareOp::kPMatch) {
        while (!s.empty() && s.back() == '/') s.pop_back();
      }
      node.strings.push_back(std::move(s));
    }
    if (is_evt_type && (op == CompareOp::kEq || op == CompareOp::kIn)) {
      node.mask &= type_mask;
    } else if (is_evt_type && op == CompareOp::kNe) {
      node.mask &= ~whole_type_mask;  // execve, clone, procexit: a whole type each
    }
    if (is_evt_type && type_mask != 0 && type_mask == whole_type_mask &&
        (op == CompareOp::kEq || op == CompareOp::kIn || op == CompareOp::kNe)) {
      // Every value names a whole event type: the mask decides the test, so it becomes an
      // empty "and" (true wherever the mask lets it run) and compares no string per event.
      node.kind = Node::Kind::kAnd;
      node.field = nullptr;
      node.strings.clear();
    }
  }
  return AddNode(std::move(node));
}

// Checks a rule's exceptions and appends one node per tuple ("f1 c1 v1 and ...").
absl::Status RuleSetCompiler::CompileExceptions(const RuleItem& item,
                                                std::vector<uint32_t>* tuples) {
  for (const RuleException& ex : item.exceptions) {
    std::vector<std::string> names;
    std::vector<std::string> args;
    std::vector<CompareOp> ops;
    for (size_t i = 0; i < ex.fields.size(); ++i) {
      std::string name;
      std::string arg;
      if (!SplitFieldRef(ex.fields[i], &name, &arg)) {
        return RuleError(ex.where, absl::StrCat("bad exception field '", ex.fields[i], "'"));
      }
      CompareOp op = CompareOp::kEq;
      const std::string comp = i < ex.comps.size() ? ex.comps[i] : "=";
      if (!ParseComp(comp, &op)) {
        return RuleError(
            ex.where, absl::StrCat("exception '", ex.name, "': unknown comparison '", comp, "'"));
      }
      Node probe;
      VIGIL_RETURN_IF_ERROR(ResolveField(name, arg, ex.where, &probe));
      VIGIL_RETURN_IF_ERROR(CheckOp(*probe.field, op, ex.where));
      names.push_back(std::move(name));
      args.push_back(std::move(arg));
      ops.push_back(op);
    }
    for (const std::vector<std::string>& tuple : ex.values) {
      if (tuple.size() != names.size()) {
        return RuleError(ex.where,
                         absl::StrCat("exception '", ex.name, "': a tuple has ", tuple.size(),
                                      " values for ", names.size(), " fields"));
      }
      std::vector<uint32_t> compares;
      for (size_t i = 0; i < names.size(); ++i) {
        std::vector<Item> value = {Item{tuple[i], Value::Kind::kBareWord, 0, &ex.where}};
        VIGIL_ASSIGN_OR_RETURN(uint32_t c,
                               CompileCompare(names[i], args[i], ops[i], value, ex.where));
        compares.push_back(c);
      }
      tuples->push_back(compares.size() == 1 ? compares[0] : AddBranch(Node::Kind::kAnd, compares));
    }
  }
  return absl::OkStatus();
}

// Compiles a stateful rule's key fields.
absl::Status RuleSetCompiler::CompileKey(const std::vector<std::string>& by,
                                         const SourceLocation& where, CompiledRule* rule) {
  for (const std::string& f : by) {
    FieldRef ref;
    std::string name;
    std::string arg;
    if (!SplitFieldRef(f, &name, &arg)) {
      return RuleError(where, absl::StrCat("bad key field '", f, "'"));
    }
    Node probe;
    VIGIL_RETURN_IF_ERROR(ResolveField(name, arg, where, &probe));
    ref.field = probe.field;
    ref.arg = probe.arg;
    ref.name = f;
    rule->key_fields.push_back(std::move(ref));
  }
  return absl::OkStatus();
}

absl::Status RuleSetCompiler::CompileRule(const RuleItem& item) {
  CompiledRule rule;
  // "condition" (absent for a sequence without a common condition), then each step.
  std::optional<uint32_t> base;
  if (!item.condition.empty()) {
    VIGIL_ASSIGN_OR_RETURN(std::unique_ptr<Expr> expr, ParseParts(item.condition, item.where));
    VIGIL_ASSIGN_OR_RETURN(base, CompileExpr(*expr));
  }
  std::vector<uint32_t> tuples;
  VIGIL_RETURN_IF_ERROR(CompileExceptions(item, &tuples));
  std::optional<uint32_t> exempt;
  if (!tuples.empty()) {
    const uint32_t any = tuples.size() == 1 ? tuples[0] : AddBranch(Node::Kind::kOr, tuples);
    exempt = AddBranch(Node::Kind::kNot, {any});
  }
  // "base and part and exempt", leaving out what is absent.
  auto conjoin = [&](std::optional<uint32_t> part) {
    std::vector<uint32_t> all;
    for (const std::optional<uint32_t>& n : {base, part, exempt}) {
      if (n) all.push_back(*n);
    }
    return all.size() == 1 ? all[0] : AddBranch(Node::Kind::kAnd, all);
  };
  uint32_t root = 0;
  if (item.sequence) {
    rule.kind = RuleKind::kSequence;
    rule.sequence.steps = item.sequence->steps.size();
    rule.sequence.window_ns = item.sequence->window_ns;
    rule.max_keys = item.sequence->max_keys;
    VIGIL_RETURN_IF_ERROR(CompileKey(item.sequence->by, item.sequence->where, &rule));
    for (const TextPart& step : item.sequence->steps) {
      VIGIL_ASSIGN_OR_RETURN(std::unique_ptr<Expr> expr, ParseCondition(step.text, step.where));
      VIGIL_ASSIGN_OR_RETURN(uint32_t node, CompileExpr(*expr));
      rule.step_roots.push_back(conjoin(node));
    }
    root = AddBranch(Node::Kind::kOr, rule.step_roots);
  } else {
    root = conjoin(std::nullopt);
  }
  if (item.threshold) {
    rule.kind = RuleKind::kThreshold;
    rule.threshold.count = item.threshold->count;
    rule.threshold.window_ns = item.threshold->window_ns;
    rule.threshold.cooldown_ns = item.threshold->cooldown_ns;
    rule.max_keys = item.threshold->max_keys;
    VIGIL_RETURN_IF_ERROR(CompileKey(item.threshold->by, item.threshold->where, &rule));
  }
  // Alerts render the value YAML reads; errors point into the text as written.
  absl::StatusOr<OutputTemplate> output =
      OutputTemplate::Compile(TextPart{item.output_value, item.output.where});
  if (!output.ok()) {
    absl::StatusOr<OutputTemplate> located = OutputTemplate::Compile(item.output);
    return located.ok() ? output.status() : located.status();
  }
  rule.output_template = *std::move(output);
  rule.name = item.name;
  rule.desc = item.desc;
  rule.priority = item.priority;
  rule.tags = item.tags;
  rule.output = item.output;
  rule.enabled = item.enabled;
  rule.where = item.where;
  rule.root = root;
  // Only the types some module registers: a rule for "every event" means every known one.
  rule.event_mask = set_->nodes_[root].mask & event::RegisteredEventMask();
  set_->rules_.push_back(std::move(rule));
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<RuleSet>> RuleSet::Compile(const RuleFileSet& files) {
  return RuleSetCompiler(files).Run();
}

}  // namespace vigil::rules
