// SPDX-License-Identifier: PostgreSQL
// What the format tests share: small valid images, and a refusal check that
// damages a copy of one and expects NMFC_INVALID_DATA with a telling message.
#ifndef NMF_TEST_FORMAT_UTIL_HPP
#define NMF_TEST_FORMAT_UTIL_HPP

#include <functional>
#include <string>

#include "test_util.hpp"

namespace nmf_test
{

using Validate = int (*)(const void *, size_t, NmfcError *);

// Rows 10, 20, 30 and columns 1, 2, 3, 4: five cells, an odd count, so the
// col_idx array carries 4 bytes of padding.
inline Image
small_matrix()
{
	return matrix_from_triplets(
	    {{10, 1, 1.0}, {10, 3, 2.0}, {20, 2, 0.0}, {30, 1, 4.0}, {30, 4, 5.0}});
}

inline Image
small_model()
{
	NmfcOptions opt = options(2);
	opt.max_iter = 5;
	return fit_model(small_matrix(), opt);
}

inline int
status_of(Validate validate, const Image &img, std::string *message = nullptr)
{
	NmfcError err;
	const int status = validate(img.data(), img.size(), &err);
	if (message != nullptr)
		*message = err.message;
	return status;
}

// Applies a damage to a copy of `valid` and expects a refusal whose message
// starts with `prefix` and contains `needle`; returns the message.
inline std::string
expect_refused(Validate validate, const Image &valid, const char *prefix, const char *what,
               const std::function<void(Image &)> &damage, const char *needle)
{
	Image img = valid;
	damage(img);
	std::string message;
	EXPECT_EQ(status_of(validate, img, &message), NMFC_INVALID_DATA) << what;
	EXPECT_EQ(message.rfind(prefix, 0), 0u) << what << ": " << message;
	EXPECT_NE(message.find(needle), std::string::npos) << what << ": " << message;
	return message;
}

// Random damage must end in OK or INVALID_DATA, never in a crash or an
// out-of-bounds read (this test is meant to run under AddressSanitizer).
inline void
flip_bytes(const Image &valid, Validate validate, int trials, uint64_t seed)
{
	std::mt19937_64 rng(seed);
	int refused = 0;
	for (int trial = 0; trial < trials; trial++)
	{
		Image img = valid;
		const int flips = 1 + static_cast<int>(rng() % 4);
		for (int f = 0; f < flips; f++)
		{
			// Bias towards the header, where a flip changes how the rest is read.
			const size_t span = rng() % 2 == 0 ? std::min<size_t>(img.size(), 200) : img.size();
			img.bytes()[rng() % span] ^= static_cast<unsigned char>(1u << (rng() % 8));
		}
		if (rng() % 16 == 0)
			img.resize(rng() % (img.size() + 1));
		NmfcError err;
		const int status = validate(img.data(), img.size(), &err);
		ASSERT_TRUE(status == NMFC_OK || status == NMFC_INVALID_DATA)
		    << "status " << status << " at trial " << trial << ": " << err.message;
		refused += status == NMFC_INVALID_DATA;
	}
	EXPECT_GT(refused, trials / 2);
}

} // namespace nmf_test

#endif
