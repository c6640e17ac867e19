// The fields rules test come from the event model (event/fields.h, event/schema.h): the
// rule language uses them under its own namespace.
#ifndef VIGIL_RULES_FIELDS_H_
#define VIGIL_RULES_FIELDS_H_

#include "event/fields.h"
#include "event/schema.h"

namespace vigil::rules {

using event::AbsentValue;
using event::EventBit;
using event::EventView;
using event::EvtTypeName;
using event::FieldArg;
using event::FieldExtractor;
using event::FieldInfo;
using event::FieldTable;
using event::FieldTableMarkdown;
using event::FieldType;
using event::FieldTypeName;
using event::FieldValue;
using event::FindField;
using event::IsNumeric;
using event::kAllEvents;
using event::NumValue;
using event::ParseFieldArg;
using event::ReadField;
using event::StrValue;

}  // namespace vigil::rules

#endif  // VIGIL_RULES_FIELDS_H_
