// ProduceResponse decoder at every version (see message_fuzz.hpp).
#include "message_fuzz.hpp"

KAFKIO_MESSAGE_FUZZ_TARGET(produce_response)
