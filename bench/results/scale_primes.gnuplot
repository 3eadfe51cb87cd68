# zfan scale primes --to 2e9 --port 25757
# gnuplot '/work/main/bench/results/scale_primes.gnuplot' draws /work/main/bench/results/scale_primes.svg
set terminal svg size 720,480 dynamic font 'sans,11' background rgb 'white'
set output '/work/main/bench/results/scale_primes.svg'
set title 'zfan scale primes --to 2e9 --port 25757' noenhanced
set xlabel 'workers'
set ylabel 'speedup'
set grid
set key top left noenhanced
set samples 400
set xrange [0:4.2]
set yrange [0:*]
$measured << EOD
1 1
2 1.0513
EOD
plot x with lines dt 2 lc rgb 'gray' title 'ideal', \
     (x >= 1 ? 1 / (0.902406678 + (1 - 0.902406678) / x) : NaN) with lines lw 2 lc rgb '#4477aa' title 'Amdahl (serial fraction 0.9024)', \
     $measured using 1:2 with points pt 7 ps 1.3 lc rgb '#cc3311' title 'measured', \
     '+' using (4):(1.07897561) every ::0::0 with points pt 6 ps 1.6 lc rgb '#4477aa' title 'predicted at 4'
