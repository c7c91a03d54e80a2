// Throwing PcapError from N-API code. Which code an error gets is decided in one place,
// engine/error_codes.h (CodeForPcapStatus, CodeForErrno, CodeForPcapMessage), included here.
#pragma once
#include <napi.h>
#include <string>

#include "engine/error_codes.h"

namespace pcapkit {

using engine::CodeForErrno;
using engine::CodeForPcapMessage;
using engine::CodeForPcapStatus;

// Builds a PcapError (or a plain Error with .code when the class was not registered yet).
Napi::Error MakePcapError(Napi::Env env, const std::string& code, const std::string& message,
                          int status = 0);
void ThrowPcapError(Napi::Env env, const std::string& code, const std::string& message,
                    int status = 0);

}  // namespace pcapkit
