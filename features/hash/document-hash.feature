@H-1
Feature: The document hash
  KOReader and BookLore find a book by the same 32-digit fingerprint of its
  file: an MD5 over a few 1 KiB samples rather than over the whole file, so
  that hashing a large PDF stays cheap. The samples start at byte 0, then at
  1 KiB, 4 KiB, 16 KiB and so on, each offset four times the last, up to
  1 GiB. Hashing stops at the first sample that would start at or past the
  end of the file, and the last sample taken is cut short by the end of the
  file, never padded.

  The files below are filled with a fixed test pattern: the byte at offset i
  is (31 × i + 7) mod 251. The expected hashes were computed by an
  independent implementation (fixtures/hash/partial_md5.py).

  Rule: H-1 — the hash samples 1 KiB at offsets 0, 1 KiB, 4 KiB … 1 GiB

    Scenario Outline: a file of <size> bytes
      Given a book file of <size> bytes filled with the test pattern
      Then its document hash is "<hash>"

      Examples: sizes around every sample boundary
        | size    | hash                             |
        | 0       | d41d8cd98f00b204e9800998ecf8427e |
        | 1       | 89e74e640b8c46257a29de0616794d5d |
        | 1023    | 184b34b08bbb6b06f914e59a579c2a7b |
        | 1024    | 5121b74d11d0ad611a246b4137993844 |
        | 1025    | 35b02546e34868e7b75dab8c43d47c36 |
        | 4095    | 8ff2b3ad1b7689199548d9ce054ade39 |
        | 4097    | 612eca124074682ad0645d03a3d03589 |
        | 16385   | 01ad01f1047f1ca69796cfdaca92bb50 |
        | 1048581 | 7875982c3fc3f84385819e4300191dd5 |

    Scenario: bytes between the samples do not count
      Given a book file of 4095 bytes filled with the test pattern
      And another book file of 4096 bytes filled with the test pattern
      Then both files have the same document hash

    Scenario: a file past 1 GiB is sampled at 1 GiB too
      Some servers take only eleven samples and disagree with KOReader on
      files of 1 GiB and more. The file is sparse: only the samples hold data.

      Given a sparse book file of 1073742524 bytes with the test pattern at every sample offset
      Then its document hash is "93af918bad02f21172ab58cd4da03f9c"

    Scenario: the fake server's library knows a book by the hash of its file
      Given a book file of 5000 bytes filled with the test pattern
      When the fake server scans a library holding that file
      Then the server accepts progress for the file's document hash
      And the server refuses progress for any other document hash
