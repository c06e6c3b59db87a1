// Adapts Debian's libsrtp2 (2.5) to the libsrtp 3.0 API that mediasoup's worker is written
// against. Placed first on the include path as <srtp.h>; mediasoup's sources stay untouched.
#pragma once

// libsrtp 3 makes the policy opaque (srtp_policy_t is a pointer built with srtp_policy_create()
// and setters); libsrtp 2's srtp_policy_t is the struct itself. Rename libsrtp 2's struct while
// its header is read, then define the libsrtp 3 handle and setters over it below.
#define srtp_policy_t haiqiao_srtp2_policy_t
#include <srtp2/srtp.h>
#undef srtp_policy_t

#include <climits>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <new>

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

// ---- libsrtp 3 opaque policy API over the libsrtp 2 struct -----------------------------------

struct haiqiao_srtp_policy
{
	haiqiao_srtp2_policy_t policy{};
	// libsrtp 2 reads the master key and salt from one buffer, key first.
	uint8_t keyAndSalt[SRTP_MAX_KEY_LEN]{};
};

typedef haiqiao_srtp_policy* srtp_policy_t;

inline srtp_err_status_t srtp_policy_create(srtp_policy_t* policy)
{
	*policy = new (std::nothrow) haiqiao_srtp_policy{};
	return *policy != nullptr ? srtp_err_status_ok : srtp_err_status_alloc_fail;
}

inline void srtp_policy_destroy(srtp_policy_t policy)
{
	delete policy;
}

inline srtp_err_status_t srtp_policy_set_ssrc(srtp_policy_t policy, srtp_ssrc_t ssrc)
{
	policy->policy.ssrc = ssrc;
	return srtp_err_status_ok;
}

inline srtp_err_status_t srtp_policy_set_profile(srtp_policy_t policy, srtp_profile_t profile)
{
	const srtp_err_status_t err = srtp_crypto_policy_set_from_profile_for_rtp(&policy->policy.rtp, profile);
	if (err != srtp_err_status_ok)
		return err;
	return srtp_crypto_policy_set_from_profile_for_rtcp(&policy->policy.rtcp, profile);
}

inline srtp_err_status_t srtp_policy_add_key(
  srtp_policy_t policy, const uint8_t* key, size_t keyLen, const uint8_t* salt, size_t saltLen, const uint8_t* mki, size_t mkiLen)
{
	if (mki != nullptr || mkiLen != 0)
		return srtp_err_status_bad_mki;
	if (keyLen + saltLen > sizeof(policy->keyAndSalt))
		return srtp_err_status_bad_param;
	std::memcpy(policy->keyAndSalt, key, keyLen);
	std::memcpy(policy->keyAndSalt + keyLen, salt, saltLen);
	policy->policy.key = policy->keyAndSalt;
	return srtp_err_status_ok;
}

inline srtp_err_status_t srtp_policy_set_allow_repeat_tx(srtp_policy_t policy, bool allow)
{
	policy->policy.allow_repeat_tx = allow ? 1 : 0;
	return srtp_err_status_ok;
}

inline srtp_err_status_t srtp_policy_set_window_size(srtp_policy_t policy, size_t windowSize)
{
	policy->policy.window_size = static_cast<unsigned long>(windowSize);
	return srtp_err_status_ok;
}

inline srtp_err_status_t srtp_create(srtp_t* session, srtp_policy_t policy)
{
	return srtp_create(session, &policy->policy);
}
