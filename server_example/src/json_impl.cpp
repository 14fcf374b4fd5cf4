// Boost.JSON in header-only mode: its compiled part lives in this one translation unit (Debian's libboost1.81-dev
// ships the headers but no libboost_json).
#include <boost/json/src.hpp>
