// Adapts Debian's libsrtp2 (2.5) to the libsrtp 3.0 API that mediasoup's worker is written
// against. Placed first on the include path as <srtp.h>; mediasoup's sources stay untouched.
#pragma once

#include <srtp2/srtp.h>

#include <climits>
#include <cstddef>
#include <cstdint>
#include <cstring>

// Error codes that libsrtp 3 added after srtp_err_status_pkt_idx_adv (27).
static constexpr srtp_err_status_t srtp_err_status_buffer_small = static_cast<srtp_err_status_t>(28);
static constexpr srtp_err_status_t srtp_err_status_cryptex_err = static_cast<srtp_err_status_t>(29);

namespace haiqiao_srtp_shim
{
	using InPlace = srtp_err_status_t (*)(srtp_t, void*, int*);

	// libsrtp 3 copies in -> out with *out_len as capacity; libsrtp 2 works in place.
	inline srtp_err_status_t Run(
	  InPlace fn, srtp_t ctx, const uint8_t* in, size_t inLen, uint8_t* out, size_t* outLen, size_t needed)
	{
		if (*outLen < needed)
			return srtp_err_status_buffer_small;
		if (inLen > static_cast<size_t>(INT_MAX))
			return srtp_err_status_bad_param;
		if (out != in)
			std::memmove(out, in, inLen);

		int len = static_cast<int>(inLen);
		const srtp_err_status_t err = fn(ctx, out, &len);

		if (err == srtp_err_status_ok)
			*outLen = static_cast<size_t>(len);

		return err;
	}
} // namespace haiqiao_srtp_shim

inline srtp_err_status_t srtp_protect(
  srtp_t ctx, const uint8_t* rtp, size_t rtpLen, uint8_t* srtp, size_t* srtpLen, size_t mkiIndex)
{
	if (mkiIndex != 0)
		return srtp_err_status_bad_mki;
	return haiqiao_srtp_shim::Run(
	  [](srtp_t c, void* p, int* l) { return srtp_protect(c, p, l); }, ctx, rtp, rtpLen, srtp, srtpLen,
	  rtpLen + SRTP_MAX_TRAILER_LEN);
}

inline srtp_err_status_t srtp_protect_rtcp(
  srtp_t ctx, const uint8_t* rtcp, size_t rtcpLen, uint8_t* srtcp, size_t* srtcpLen, size_t mkiIndex)
{
	if (mkiIndex != 0)
		return srtp_err_status_bad_mki;
	return haiqiao_srtp_shim::Run(
	  [](srtp_t c, void* p, int* l) { return srtp_protect_rtcp(c, p, l); }, ctx, rtcp, rtcpLen, srtcp,
	  srtcpLen, rtcpLen + SRTP_MAX_TRAILER_LEN + 4);
}

inline srtp_err_status_t srtp_unprotect(
  srtp_t ctx, const uint8_t* srtp, size_t srtpLen, uint8_t* rtp, size_t* rtpLen)
{
	return haiqiao_srtp_shim::Run(
	  [](srtp_t c, void* p, int* l) { return srtp_unprotect(c, p, l); }, ctx, srtp, srtpLen, rtp, rtpLen,
	  srtpLen);
}

inline srtp_err_status_t srtp_unprotect_rtcp(
  srtp_t ctx, const uint8_t* srtcp, size_t srtcpLen, uint8_t* rtcp, size_t* rtcpLen)
{
	return haiqiao_srtp_shim::Run(
	  [](srtp_t c, void* p, int* l) { return srtp_unprotect_rtcp(c, p, l); }, ctx, srtcp, srtcpLen, rtcp,
	  rtcpLen, srtcpLen);
}

inline srtp_err_status_t srtp_stream_remove(srtp_t session, uint32_t ssrc)
{
	return srtp_remove_stream(session, ssrc);
}
