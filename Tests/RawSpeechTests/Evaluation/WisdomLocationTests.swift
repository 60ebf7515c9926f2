// Where FFTW's wisdom cache goes: $RAWSPEECH_FFTW_WISDOM, else $XDG_CACHE_HOME, else $HOME's
// .cache; never the password database's home when the user set HOME.
import Foundation
import Testing
@testable import RawSpeechEvaluation

extension EvaluationTests {
    @Suite struct WisdomLocationTests {
        @Test func followsTheEnvironment() {
            #expect(FFTWPlanner.defaultWisdomURL(environment: ["RAWSPEECH_FFTW_WISDOM": "/x/w", "HOME": "/h"])?.path == "/x/w")
            #expect(FFTWPlanner.defaultWisdomURL(environment: ["RAWSPEECH_FFTW_WISDOM": ""]) == nil)
            #expect(FFTWPlanner.defaultWisdomURL(environment: ["XDG_CACHE_HOME": "/xdg", "HOME": "/h"])?.path
                    == "/xdg/rawspeech/fftw-wisdom")
            #expect(FFTWPlanner.defaultWisdomURL(environment: ["HOME": "/home/someone"])?.path
                    == "/home/someone/.cache/rawspeech/fftw-wisdom")
            // A relative XDG_CACHE_HOME is invalid by the spec and ignored.
            #expect(FFTWPlanner.defaultWisdomURL(environment: ["XDG_CACHE_HOME": "rel", "HOME": "/h"])?.path
                    == "/h/.cache/rawspeech/fftw-wisdom")
        }
    }
}
